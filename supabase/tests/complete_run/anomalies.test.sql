-- Unknown, stale, repeated, late and duplicate deliveries change nothing and are recorded.
begin;
select plan(10);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_anom', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input) values ('t_anom', '{}');
create temp table c on commit drop as select * from pgpod.claim_runs('t_anom', 1);
select pgpod.mark_submitted((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'runpod_job_id', 'rp-a')) from c));
create function pg_temp.outcome(run bigint, attempt int, body jsonb) returns text language sql as $$
  select pgpod.complete_run(run, attempt, body) ->> 'outcome'
$$;

select is(pg_temp.outcome(-1, 1, '{"status": "COMPLETED", "output": {}}'), 'unknown_run', 'an unknown run is reported');
select is(pg_temp.outcome((select run_id from c), 7, '{"id": "rp-a", "status": "COMPLETED", "output": {}}'), 'stale_attempt',
  'another attempt is stale');
select is(pg_temp.outcome((select run_id from c), 1, '{"id": "rp-other", "status": "COMPLETED", "output": {}}'), 'duplicate_submission',
  'another RunPod job for the same run is a duplicate submission');
select is(pg_temp.outcome((select run_id from c), 1, '{"id": "rp-a", "status": "EXPLODED"}'), 'unknown_status',
  'an unknown status is not applied');
select is((select status::text from pgpod.jobs where endpoint = 't_anom'), 'submitted', 'none of these changed the job');

select is(pg_temp.outcome((select run_id from c), 1, '{"id": "rp-a", "status": "COMPLETED", "output": {"v": 1}}'), 'succeeded',
  'the real delivery is applied');
select is(pg_temp.outcome((select run_id from c), 1, '{"id": "rp-a", "status": "COMPLETED", "output": {"v": 2}}'), 'duplicate',
  'a repeated delivery is a duplicate');
select is(pg_temp.outcome((select run_id from c), 1, '{"id": "rp-a", "status": "FAILED", "error": "x"}'), 'late',
  'a different status after the end is late');
select is((select (status, output)::text from pgpod.jobs where endpoint = 't_anom'), '(succeeded,"{""v"": 1}")',
  'the job keeps the first result');
select is((select array_agg(kind order by id) from pgpod.job_events
           where run_id in (-1, (select run_id from c))),
  array['unknown_run', 'stale_attempt', 'duplicate_submission', 'unknown_status', 'duplicate', 'late'],
  'every anomaly is recorded');

select * from finish();
rollback;
