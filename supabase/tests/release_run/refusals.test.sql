-- A /run RunPod refuses (429, 5xx, network) is not an attempt: the jobs go back
-- to the queue, the endpoint backs off as a whole (Retry-After, or jittered
-- exponential), and only max_submit_failures refusals in a row fail a job.
begin;
select plan(19);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_attempts, max_submit_failures)
values ('t_refuse', 'ep', 'http://runpod.test/v2', 1, 3), ('t_other', 'ep', 'http://runpod.test/v2', 1, 3);
insert into pgpod.jobs (endpoint, input) select 't_refuse', jsonb_build_object('n', g) from generate_series(1, 3) g;
insert into pgpod.jobs (endpoint, input) values ('t_other', '{}');
create function pg_temp.release(claimed jsonb, kind text, reason text, retry_after_s integer default null) returns jsonb
language sql as $$
  select pgpod.release_run((select jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
    'run_id', c ->> 'run_id', 'attempt', (c ->> 'attempt')::int, 'reason', reason, 'kind', kind, 'retry_after_s', retry_after_s)))
    from jsonb_array_elements(claimed) c))
$$;
create function pg_temp.claim(endpoint text, n integer) returns jsonb language sql as $$
  select jsonb_agg(to_jsonb(c)) from pgpod.claim_runs(endpoint, n) c
$$;
create function pg_temp.reveal() returns void language sql as $$
  update pgmq.q_pgpod_t_refuse set vt = clock_timestamp();
  update pgpod.endpoint_health set dispatch_after = null;
$$;

-- 429 with Retry-After: nothing counted, the endpoint waits that long
select is(jsonb_array_length(pg_temp.release(pg_temp.claim('t_refuse', 2), 'rate_limited', 'RunPod answered 429 (rate limited)', 30) -> 'requeued'),
  2, 'the refused runs'' jobs are requeued');
select is((select array_agg(distinct (status, attempt, submit_failures)::text) from pgpod.jobs where endpoint = 't_refuse' and run_id is not null),
  array['(queued,0,0)'], 'a 429 is not an attempt and not a submit failure');
select ok((select dispatch_after between now() + interval '29 seconds' and now() + interval '31 seconds'
           from pgpod.queue_health where endpoint = 't_refuse'), 'the endpoint waits out Retry-After');
select ok((select bool_and(vt >= clock_timestamp() + interval '28 seconds') from pgmq.q_pgpod_t_refuse m
           where (m.message ->> 'job_id')::uuid in (select id from pgpod.jobs where run_id is not null and endpoint = 't_refuse')),
  'its jobs come back after it');
select is((select (submit_refusals, problem)::text from pgpod.queue_health where endpoint = 't_refuse'),
  '(1,"RunPod answered 429 (rate limited)")', 'queue_health shows the refusal');
select is((select count(*) from pgpod.dispatchable_endpoints() e where e = 't_refuse'), 0::bigint,
  'a backed-off endpoint is not dispatched');
select is((select count(*) from pgpod.dispatchable_endpoints() e where e = 't_other'), 1::bigint,
  'the other endpoints are');
select is((select count(*) from pgpod.job_events where kind = 'submission_refused'
           and job_id in (select id from pgpod.jobs where endpoint = 't_refuse')), 2::bigint, 'each refusal is recorded per job');

-- 503 twice: jittered exponential backoff, counted as submit failures
select pg_temp.reveal();
create temp table c503 on commit drop as select pg_temp.claim('t_refuse', 3) as c;
select pg_temp.release(c, 'unavailable', 'RunPod answered 503: down') from c503;
select is((select array_agg(distinct (status, attempt)::text) from pgpod.jobs where endpoint = 't_refuse'),
  array['(queued,0)'], 'a 503 is not an attempt either: max_attempts 1 is left untouched');
select ok((select dispatch_after between now() + interval '0.9 seconds' and now() + interval '4.1 seconds'
           from pgpod.queue_health where endpoint = 't_refuse'), 'the second refusal in a row waits 1-4 s (jittered exponential)');
select is((select submit_refusals from pgpod.queue_health where endpoint = 't_refuse'), 2, 'two refusals in a row');

-- not_sent: put back, nothing counted, endpoint state unchanged
select pg_temp.reveal();
create temp table cnot on commit drop as select pg_temp.claim('t_refuse', 3) as c;
select pg_temp.release(c, 'not_sent', 'not sent: RunPod answered 503: down') from cnot;
select is((select array_agg(distinct (status, attempt, submit_failures)::text) from pgpod.jobs where endpoint = 't_refuse'),
  array['(queued,0,1)'], 'a run left unsent counts nothing');
select is((select submit_refusals from pgpod.queue_health where endpoint = 't_refuse'), 2, 'and does not add a refusal');

-- an accepted /run clears it all
select pg_temp.reveal();
create temp table cok on commit drop as select pg_temp.claim('t_refuse', 1) as c;
select pgpod.mark_submitted(jsonb_build_array(jsonb_build_object('run_id', c -> 0 ->> 'run_id', 'attempt', (c -> 0 ->> 'attempt')::int,
                                                                  'runpod_job_id', 'rp-ok'))) from cok;
select is((select (submit_refusals, dispatch_after, problem)::text from pgpod.queue_health where endpoint = 't_refuse'),
  '(0,,)', 'an accepted /run clears the endpoint''s refusals');
select is((select submit_failures from pgpod.jobs where run_id = (select (c -> 0 ->> 'run_id')::bigint from cok)), 0,
  'and the job''s submit failures');

-- a refused run whose job asked to be cancelled ends it cancelled; the cap
-- (max_submit_failures 3) fails the job refused three times in a row
select pg_temp.reveal();
create temp table cap1 on commit drop as select pg_temp.claim('t_refuse', 2) as c;
update pgpod.jobs set cancel_requested_at = now()
 where id = (select (c -> 0 -> 'jobs' -> 0 ->> 'job_id')::uuid from cap1);
select is(jsonb_array_length(pg_temp.release(c, 'unavailable', 'network error: connection refused') -> 'cancelled'), 1,
  'a refused job with a cancel request is cancelled') from cap1;
select pg_temp.reveal();
create temp table cap2 on commit drop as select pg_temp.claim('t_refuse', 2) as c;
select is(jsonb_array_length(pg_temp.release(c, 'unavailable', 'network error: connection refused') -> 'failed'), 1,
  'the job refused three times in a row fails') from cap2;
select matches((select error from pgpod.jobs where endpoint = 't_refuse' and status = 'failed'),
  '^pgpod: RunPod refused the submission 3 times in a row \(last: network error: connection refused\)$',
  'with an error that says so');
select is((select attempt from pgpod.jobs where endpoint = 't_refuse' and status = 'failed'), 0,
  'having used none of its attempts');

select * from finish();
rollback;
