-- The operator role reads the ops views through pgpod.ops_snapshot() and nothing else.
begin;
select plan(10);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_attempts) values ('t_opsnap', 'ep', 'http://runpod.test/v2', 1);
insert into pgpod.jobs (endpoint, input) select 't_opsnap', jsonb_build_object('n', g) from generate_series(1, 3) g;
create temp table c on commit drop as select *, row_number() over (order by run_id) as nth from pgpod.claim_runs('t_opsnap', 2);
select pgpod.complete_run((select run_id from c where nth = 1), 1, '{"id": "a", "status": "COMPLETED", "executionTime": 4000, "output": {}}');
select pgpod.complete_run((select run_id from c where nth = 2), 1, '{"id": "b", "status": "FAILED", "error": "out of memory", "executionTime": 1000}');
grant select on c to pgpod_ops;

select ok(pg_has_role('authenticator', 'pgpod_ops', 'member'), 'PostgREST may switch to the operator role');

set local role pgpod_ops;
create temp table snap on commit drop as select pgpod.ops_snapshot() as s;
select is((select (e ->> 'queued', e ->> 'succeeded_24h', e ->> 'failed_24h')::text
           from snap, jsonb_array_elements(s -> 'endpoint_stats') e where e ->> 'endpoint' = 't_opsnap'),
  '(1,1,1)', 'the snapshot carries endpoint_stats');
select is((select (q ->> 'queue_length')::int from snap, jsonb_array_elements(s -> 'queue_health') q where q ->> 'endpoint' = 't_opsnap'),
  1, 'and queue_health');
select is((select f ->> 'error' from snap, jsonb_array_elements(s -> 'recent_failures') f where f ->> 'endpoint' = 't_opsnap'),
  'out of memory', 'and recent_failures');
select is((select (sum((b ->> 'succeeded')::int), sum((b ->> 'failed')::int))::text
           from snap, jsonb_array_elements(s -> 'finished') b where b ->> 'endpoint' = 't_opsnap'),
  '(1,1)', 'and jobs finished per 10 s');
select throws_ok('select * from pgpod.jobs', '42501', null, 'the operator cannot read jobs');
select throws_ok('select * from pgpod.endpoint_stats', '42501', null, 'nor the views themselves (they run with the caller''s rights)');
select throws_ok('select pgpod.cancel(gen_random_uuid())', '42501', null, 'nor call job functions');
reset role;

set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000000a1", "role": "authenticated"}', true);
select throws_ok('select pgpod.ops_snapshot()', '42501', null, 'signed-in users cannot read the snapshot');
reset role;
set local role anon;
select throws_ok('select pgpod.ops_snapshot()', '42501', null, 'nor can anonymous callers');
reset role;

select * from finish();
rollback;
