-- An anonymous insert into an app table cannot make a job for someone else by
-- naming them in the row's owner column.
begin;
select plan(2);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_row_anon', 'ep', 'http://runpod.test/v2');
create table public.t_anon_clips (id bigint primary key, user_id uuid);
create trigger t_anon_clips after insert on public.t_anon_clips
  for each row execute function pgpod.enqueue_row('t_row_anon');
grant insert on public.t_anon_clips to anon;

select set_config('request.jwt.claims', '{"role":"anon"}', true);
set local role anon;
insert into public.t_anon_clips values (1, '00000000-0000-4000-8000-0000000000a1');
reset role;
select is((select owner_id from pgpod.jobs where source_table = 'public.t_anon_clips' and source_id = '1'), null,
  'the job of an anonymous insert has no owner, whatever the row says');

select set_config('request.jwt.claims', '', true);
insert into public.t_anon_clips values (2, '00000000-0000-4000-8000-0000000000a1');
select is((select owner_id from pgpod.jobs where source_table = 'public.t_anon_clips' and source_id = '2'),
  '00000000-0000-4000-8000-0000000000a1'::uuid, 'a service insert still gives the job to the row''s user');

select * from finish();
rollback;
