-- A broadcast is the message realtime.broadcast_changes writes: its payload
-- has record, old_record, operation, table, schema and the message's own id;
-- record is the job without input, run_id and submit_failures.
begin;
select plan(6);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000e2');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_shape', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input, owner_id) values ('t_shape', '{"n": 1}', '00000000-0000-4000-8000-0000000000e2');
update pgpod.jobs set status = 'running', started_at = now() where endpoint = 't_shape';
create temp table m on commit drop as
select * from realtime.messages where topic = 'pgpod:jobs:00000000-0000-4000-8000-0000000000e2';
create function pg_temp.keys(j jsonb) returns text[] language sql as $$
  select array_agg(k order by k) from jsonb_object_keys(j) k
$$;

select is((select array_agg(distinct pg_temp.keys(payload)) from m),
  array[array['id', 'old_record', 'operation', 'record', 'schema', 'table']], 'payload keys');
select is((select pg_temp.keys(payload -> 'record') from m where event = 'UPDATE'),
  (select array_agg(a.attname::text order by a.attname::text) from pg_attribute a
   where a.attrelid = 'pgpod.jobs'::regclass and a.attnum > 0 and not a.attisdropped
     and a.attname not in ('input', 'run_id', 'submit_failures')),
  'record is every column of the job but input, run_id and submit_failures');
select is((select pg_temp.keys(payload -> 'old_record') from m where event = 'UPDATE'),
  array['attempt', 'endpoint', 'id', 'owner_id', 'status', 'updated_at'], 'old_record keys');
select is((select payload -> 'record' from m where event = 'UPDATE'),
  (select to_jsonb(j) - 'input' - 'run_id' - 'submit_failures' from pgpod.jobs j where endpoint = 't_shape'),
  'record holds the job''s values as to_jsonb gives them');
select ok((select bool_and(payload ->> 'id' = id::text and payload ->> 'operation' = event and payload ->> 'table' = 'jobs'
                           and payload ->> 'schema' = 'pgpod' and private and extension = 'broadcast') from m),
  'the payload id is the message id; operation, table and schema; private broadcast messages');
select is((select payload -> 'old_record' ->> 'status' from m where event = 'UPDATE'), 'queued', 'old_record is the state before');

select * from finish();
rollback;
