-- pgpod.enqueue_row turns app rows into jobs.
begin;
select plan(7);

insert into auth.users (id) values ('00000000-0000-4000-8000-00000000000a');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_row', 'ep', 'http://runpod.test/v2');
create table public.t_clips (id bigint primary key, user_id uuid, url text);
create table public.t_clips2 (like public.t_clips);
create function public.t_clip_input(c public.t_clips2) returns jsonb language sql as $$
  select jsonb_build_object('audio_url', c.url)
$$;
create trigger t_clips_default after insert on public.t_clips
  for each row execute function pgpod.enqueue_row('t_row');
create trigger t_clips_mapped after insert on public.t_clips2
  for each row execute function pgpod.enqueue_row('t_row', 'public.t_clip_input');

insert into public.t_clips values (1, '00000000-0000-4000-8000-00000000000a', 'https://x/1.wav');
select is((select input from pgpod.jobs where source_table = 'public.t_clips'),
  '{"id": 1, "url": "https://x/1.wav", "user_id": "00000000-0000-4000-8000-00000000000a"}'::jsonb,
  'the default input is the row');
select is((select (source_id, owner_id)::text from pgpod.jobs where source_table = 'public.t_clips'),
  '(1,00000000-0000-4000-8000-00000000000a)', 'source and owner come from the row for a service insert');

insert into public.t_clips2 values (2, null, 'https://x/2.wav');
select is((select input from pgpod.jobs where source_table = 'public.t_clips2'), '{"audio_url": "https://x/2.wav"}'::jsonb,
  'input_fn maps the row');
select is((select count(*) from pgmq.q_pgpod_t_row), 2::bigint, 'each row is enqueued');

grant insert on public.t_clips2 to authenticated;
select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000a","role":"authenticated"}', true);
set local role authenticated;
insert into public.t_clips2 values (3, null, 'https://x/3.wav');
reset role;
select is((select owner_id from pgpod.jobs where source_id = '3'), '00000000-0000-4000-8000-00000000000a'::uuid,
  'a client insert makes a job owned by the client');

update pgpod.endpoints set paused = true where name = 't_row';
select throws_ok($$ insert into public.t_clips values (4, null, 'x') $$, 'PT409', null,
  'the app insert fails when the job is refused');
create table public.t_bad (id int);
create trigger t_bad after insert on public.t_bad for each row execute function pgpod.enqueue_row();
select throws_ok($$ insert into public.t_bad values (1) $$, '39P01', null, 'the endpoint argument is required');

select * from finish();
rollback;
