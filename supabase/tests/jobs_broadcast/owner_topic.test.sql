-- Every job change is broadcast on the owner's private topic; only the owner may receive it.
begin;
select plan(6);

insert into auth.users (id) values ('00000000-0000-4000-8000-00000000000a'), ('00000000-0000-4000-8000-00000000000b');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_bc', 'ep', 'http://runpod.test/v2');
create temp table since on commit drop as select now() as t;
insert into pgpod.jobs (endpoint, input, owner_id) values ('t_bc', '{"big": "input"}', '00000000-0000-4000-8000-00000000000a');
select pgpod.cancel((select id from pgpod.jobs where endpoint = 't_bc'));

select is((select array_agg(event order by inserted_at, payload -> 'record' ->> 'status' desc) from realtime.messages
           where topic = 'pgpod:jobs:00000000-0000-4000-8000-00000000000a'),
  array['INSERT', 'UPDATE'], 'insert and update are broadcast on pgpod:jobs:<owner_id>');
select is((select payload -> 'record' ->> 'status' from realtime.messages
           where topic = 'pgpod:jobs:00000000-0000-4000-8000-00000000000a' and event = 'UPDATE'), 'cancelled',
  'the broadcast carries the new status');
select ok((select not (payload -> 'record' ? 'input') and private from realtime.messages
           where topic = 'pgpod:jobs:00000000-0000-4000-8000-00000000000a' and event = 'INSERT'),
  'broadcasts are private and leave the input out');

select set_config('realtime.topic', 'pgpod:jobs:00000000-0000-4000-8000-00000000000a', true);
select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000a","role":"authenticated"}', true);
set local role authenticated;
select is((select count(*) from realtime.messages where topic = 'pgpod:jobs:00000000-0000-4000-8000-00000000000a'), 2::bigint,
  'the owner may receive their topic');
select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000b","role":"authenticated"}', true);
select is((select count(*) from realtime.messages where topic = 'pgpod:jobs:00000000-0000-4000-8000-00000000000a'), 0::bigint,
  'another user may not');
reset role;

select ok(exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'pgpod' and tablename = 'jobs'),
  'pgpod.jobs is in the supabase_realtime publication');

select * from finish();
rollback;
