-- A run named twice in one batch (RunPod repeating a webhook) is applied once:
-- the second delivery is answered as it would be after the first.
begin;
select plan(7);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_twice', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input) select 't_twice', jsonb_build_object('n', g) from generate_series(1, 2) g;
create temp table c on commit drop as select row_number() over (order by run_id) as k, * from pgpod.claim_runs('t_twice', 2);

create temp table answers on commit drop as
select pgpod.complete_runs(jsonb_build_array(
  jsonb_build_object('run_id', (select run_id from c where k = 1), 'attempt', 1, 'result', '{"id": "rp-a", "status": "COMPLETED", "output": {"n": 1}}'::jsonb),
  jsonb_build_object('run_id', (select run_id from c where k = 2), 'attempt', 1, 'result', '{"id": "rp-b", "status": "IN_PROGRESS"}'::jsonb),
  jsonb_build_object('run_id', (select run_id from c where k = 1), 'attempt', 1, 'result', '{"id": "rp-a", "status": "COMPLETED", "output": {"n": 2}}'::jsonb),
  jsonb_build_object('run_id', (select run_id from c where k = 2), 'attempt', 1, 'result', '{"id": "rp-b", "status": "COMPLETED", "output": {"b": true}}'::jsonb)
)) as a;

select is((select jsonb_agg(jsonb_build_array(x -> 'applied', x -> 'outcome')) from answers, jsonb_array_elements(a) x),
  '[[true, "succeeded"], [true, "progress"], [false, "duplicate"], [true, "succeeded"]]'::jsonb,
  'the repeat is a duplicate; a later status of the other run applies after its progress');
select is((select output from pgpod.jobs where run_id = (select run_id from c where k = 1)), '{"n": 1}'::jsonb,
  'the first result is kept');
select is((select webhook_count from pgpod.runs where id = (select run_id from c where k = 1)), 2, 'both deliveries are counted');
select is((select count(*) from pgpod.job_events where run_id = (select run_id from c where k = 1) and kind = 'duplicate'), 1::bigint,
  'the repeat is in the audit trail');
select is((select status::text from pgpod.jobs where run_id = (select run_id from c where k = 2)), 'succeeded',
  'progress then result in one batch ends the job');
select is((select webhook_count from pgpod.runs where id = (select run_id from c where k = 2)), 2, 'and counts both');

-- a run repeated more often than the audit keeps
select pgpod.complete_runs((select jsonb_agg(jsonb_build_object('run_id', (select run_id from c where k = 1), 'attempt', 1,
  'result', '{"id": "rp-a", "status": "COMPLETED", "output": {"n": 3}}'::jsonb)) from generate_series(1, 12)));
select is((select (webhook_count, (select count(*) from pgpod.job_events e where e.run_id = r.id and e.kind = 'duplicate'))::text
           from pgpod.runs r where r.id = (select run_id from c where k = 1)), '(14,9)',
  'every repeat is counted, the audit keeps those among the first ten deliveries');

select * from finish();
rollback;
