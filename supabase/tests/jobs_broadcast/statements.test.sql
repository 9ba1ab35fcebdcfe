-- Broadcasts are built per statement from the transition tables: every row of
-- a multi-row change gets its own message on its own owner's topic.
begin;
select plan(6);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000c1'), ('00000000-0000-4000-8000-0000000000c2');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_bcs', 'ep', 'http://runpod.test/v2');
create function pg_temp.messages(owner text, kind text) returns bigint language sql as $$
  select count(*) from realtime.messages where topic = 'pgpod:jobs:' || owner and event = kind
$$;

insert into pgpod.jobs (endpoint, input, owner_id)
select 't_bcs', jsonb_build_object('n', g),
       case when g % 2 = 0 then '00000000-0000-4000-8000-0000000000c1' else '00000000-0000-4000-8000-0000000000c2' end::uuid
from generate_series(1, 10) g;

select is(pg_temp.messages('00000000-0000-4000-8000-0000000000c1', 'INSERT'), 5::bigint,
  'a 10-row insert sends one message per row to each owner''s topic');
update pgpod.jobs set status = 'cancelled', finished_at = now() where endpoint = 't_bcs';
select is(pg_temp.messages('00000000-0000-4000-8000-0000000000c2', 'UPDATE'), 5::bigint, 'a multi-row update does the same');
select is((select array_agg(distinct (payload -> 'old_record' ->> 'status') || '>' || (payload -> 'record' ->> 'status'))
           from realtime.messages where topic = 'pgpod:jobs:00000000-0000-4000-8000-0000000000c2' and event = 'UPDATE'),
  array['queued>cancelled'], 'each update message pairs the row''s old and new state');
select ok((select bool_and(payload -> 'old_record' ->> 'id' = payload -> 'record' ->> 'id')
           from realtime.messages where topic = 'pgpod:jobs:00000000-0000-4000-8000-0000000000c2' and event = 'UPDATE'),
  'and they are the same job');

delete from pgpod.jobs where endpoint = 't_bcs' and owner_id = '00000000-0000-4000-8000-0000000000c1';
select is(pg_temp.messages('00000000-0000-4000-8000-0000000000c1', 'DELETE'), 5::bigint, 'deletes are broadcast per row');
select ok((select bool_and(payload -> 'record' = 'null'::jsonb and payload -> 'old_record' ? 'status' and payload ->> 'operation' = 'DELETE')
           from realtime.messages where topic = 'pgpod:jobs:00000000-0000-4000-8000-0000000000c1' and event = 'DELETE'),
  'a delete message carries only the old state');

select * from finish();
rollback;
