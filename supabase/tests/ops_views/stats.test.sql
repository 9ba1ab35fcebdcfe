-- The ops views summarise endpoints, queues and failures.
begin;
select plan(6);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_attempts) values ('t_ops', 'ep', 'http://runpod.test/v2', 1);
insert into pgpod.jobs (endpoint, input) select 't_ops', jsonb_build_object('n', g) from generate_series(1, 4) g;
create temp table c on commit drop as select *, row_number() over (order by run_id) as nth from pgpod.claim_runs('t_ops', 2);
select pgpod.complete_run((select run_id from c where nth = 1), 1, '{"id": "a", "status": "COMPLETED", "delayTime": 2000, "executionTime": 4000, "output": {}}');
select pgpod.complete_run((select run_id from c where nth = 2), 1, '{"id": "b", "status": "FAILED", "error": "bad weights", "executionTime": 1000}');
select pgpod.claim_runs('t_ops', 1);

select is((select (queued, in_flight, succeeded_1h, failed_1h, succeeded_24h, failed_24h)::text from pgpod.endpoint_stats where endpoint = 't_ops'),
  '(1,1,1,1,1,1)', 'endpoint_stats counts jobs by state');
select is((select (execution_p50_s, gpu_seconds_24h)::text from pgpod.endpoint_stats where endpoint = 't_ops'), '(2.5,5.0000000000000000)',
  'and execution time and GPU seconds from RunPod''s timings');
select ok((select queue_wait_p95_s >= 2 from pgpod.endpoint_stats where endpoint = 't_ops'), 'queue wait includes RunPod''s delay');
select is((select queue_length from pgpod.queue_health where endpoint = 't_ops'), 2::bigint,
  'queue_health shows the queue length (claimed messages included)');
select is((select error from pgpod.recent_failures where endpoint = 't_ops'), 'bad weights', 'recent_failures lists failed jobs');
select is((select runpod_job_id from pgpod.recent_failures where endpoint = 't_ops'), 'b', 'with their RunPod job id');

select * from finish();
rollback;
