-- Owners read their own jobs, files and output objects.
begin;
select plan(5);

insert into auth.users (id) values ('00000000-0000-4000-8000-00000000000a'), ('00000000-0000-4000-8000-00000000000b');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_own', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input, owner_id) values ('t_own', '{}', '00000000-0000-4000-8000-00000000000a');
insert into storage.objects (bucket_id, name)
values ('pgpod-outputs', '00000000-0000-4000-8000-00000000000a/t_own/j/a.png'),
       ('pgpod-outputs', '00000000-0000-4000-8000-00000000000b/t_own/j/b.png');

select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000a","role":"authenticated"}', true);
set local role authenticated;
select is((select count(*) from pgpod.jobs), 1::bigint, 'A reads their job');
select is((select array_agg(name) from storage.objects where bucket_id = 'pgpod-outputs'),
  array['00000000-0000-4000-8000-00000000000a/t_own/j/a.png'], 'A reads only their own output folder');
select is((select count(*) from pgpod.endpoints where name = 't_own'), 1::bigint, 'clients see which endpoints exist');
select lives_ok($$ select name, paused, input_schema, output_bucket from pgpod.endpoints $$, 'and their public settings');
reset role;

set local role anon;
select is((select count(*) from storage.objects where bucket_id = 'pgpod-outputs'), 0::bigint, 'anon reads no outputs');
reset role;

select * from finish();
rollback;
