-- FAILED and TIMED_OUT retry with backoff while attempts remain, then fail.
begin;
select plan(7);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_attempts, backoff_base_s, backoff_max_s)
values ('t_fail', 'ep', 'http://runpod.test/v2', 2, 30, 300);
insert into pgpod.jobs (endpoint, input) values ('t_fail', '{"n": 1}');
create temp table c1 on commit drop as select * from pgpod.claim_runs('t_fail', 1);
select pgpod.mark_submitted((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'runpod_job_id', 'rp-1')) from c1));

select is((select pgpod.complete_run((select run_id from c1), 1, '{"id": "rp-1", "status": "FAILED", "error": "CUDA out of memory"}') ->> 'outcome'),
  'failed', 'the failure is applied');
select is((select (status, attempt, error)::text from pgpod.jobs where endpoint = 't_fail'), '(queued,1,"CUDA out of memory")',
  'with attempts left the job is queued again');
select ok((select vt between clock_timestamp() + interval '14 seconds' and clock_timestamp() + interval '31 seconds' from pgmq.q_pgpod_t_fail),
  'after 15-30 s of backoff');
select ok((select run_after > now() from pgpod.jobs where endpoint = 't_fail'), 'run_after shows when it runs again');

update pgmq.q_pgpod_t_fail set vt = clock_timestamp();
create temp table c2 on commit drop as select * from pgpod.claim_runs('t_fail', 1);
select is((select attempt from c2), 2, 'the next run is attempt 2');
select pgpod.mark_submitted((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'runpod_job_id', 'rp-2')) from c2));
select pgpod.complete_run((select run_id from c2), 2, '{"id": "rp-2", "status": "TIMED_OUT"}');
select is((select (status, attempt, error)::text from pgpod.jobs where endpoint = 't_fail'), '(failed,2,timed_out)',
  'TIMED_OUT on the last attempt fails the job');
select is((select array_agg(kind order by id) from pgpod.job_events where job_id = (select id from pgpod.jobs where endpoint = 't_fail')),
  array['retry_scheduled', 'failed'], 'the retry and the failure are recorded');

select * from finish();
rollback;
