-- One complete_runs call over a mixed batch gives every delivery the answer,
-- and leaves the jobs, runs, files, queue and audit trail exactly as, the same
-- deliveries sent one by one to complete_run.
begin;
select plan(5);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_mix', 'ep', 'http://runpod.test/v2');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, batch_size) values ('t_mixg', 'ep', 'http://runpod.test/v2', 2);
insert into pgpod.jobs (endpoint, input) select 't_mix', jsonb_build_object('n', g) from generate_series(1, 6) g;
insert into pgpod.jobs (endpoint, input) select 't_mixg', jsonb_build_object('n', g) from generate_series(1, 2) g;
create temp table c on commit drop as select row_number() over (order by run_id) as k, * from pgpod.claim_runs('t_mix', 6);
create temp table g on commit drop as select * from pgpod.claim_runs('t_mixg', 1);
select pgpod.mark_submitted((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'runpod_job_id', 'rp-' || run_id)) from c));
-- run 3 has finished: the batch repeats its delivery
select pgpod.complete_run((select run_id from c where k = 3), 1,
  jsonb_build_object('id', 'rp-' || (select run_id from c where k = 3), 'status', 'COMPLETED', 'output', '{"first": true}'::jsonb));

create temp table deliveries on commit drop as
select jsonb_agg(d order by k) as d from (
  select 1 as k, jsonb_build_object('run_id', run_id, 'attempt', 1, 'result', jsonb_build_object('id', 'rp-' || run_id, 'status', 'COMPLETED',
           'output', '{"ok": 1}'::jsonb, 'delayTime', 12, 'executionTime', 34),
         'files', jsonb_build_array(jsonb_build_object('job_id', jobs -> 0 ->> 'job_id', 'index', 0, 'filename', 'a.png', 'bucket', 'outputs',
           'path', 'x/a.png', 'content_type', 'image/png', 'size', 3))) as d from c where k = 1
  union all select 2, jsonb_build_object('run_id', run_id, 'attempt', 2, 'result', jsonb_build_object('id', 'rp-' || run_id, 'status', 'COMPLETED', 'output', '{}'::jsonb)) from c where k = 2
  union all select 3, jsonb_build_object('run_id', (select max(id) + 1000 from pgpod.runs), 'attempt', 1, 'result', '{"id": "rp-x", "status": "COMPLETED"}'::jsonb)
  union all select 4, jsonb_build_object('run_id', run_id, 'attempt', 1, 'result', jsonb_build_object('id', 'rp-' || run_id, 'status', 'COMPLETED', 'output', '{"again": true}'::jsonb)) from c where k = 3
  union all select 5, jsonb_build_object('run_id', run_id, 'attempt', 1, 'result', jsonb_build_object('id', 'rp-other', 'status', 'COMPLETED', 'output', '{}'::jsonb)) from c where k = 4
  union all select 6, jsonb_build_object('run_id', run_id, 'attempt', 1, 'result', jsonb_build_object('id', 'rp-' || run_id, 'status', 'CANCELLED')) from c where k = 5
  union all select 7, jsonb_build_object('run_id', run_id, 'attempt', 1, 'result', jsonb_build_object('id', 'rp-' || run_id, 'status', 'FAILED', 'error', 'boom')) from c where k = 6
  union all select 8, jsonb_build_object('run_id', run_id, 'attempt', 1, 'result', jsonb_build_object('id', 'rp-g', 'status', 'COMPLETED',
           'output', jsonb_build_object('results', jsonb_build_array(
             jsonb_build_object('job_id', jobs -> 0 ->> 'job_id', 'output', '{"text": "hi"}'::jsonb),
             jsonb_build_object('job_id', jobs -> 1 ->> 'job_id', 'error', 'bad page'))))) from g
  union all select 9, jsonb_build_object('run_id', run_id, 'attempt', 1, 'result', jsonb_build_object('id', 'rp-' || run_id, 'status', 'IN_PROGRESS')) from c where k = 1
) x;

-- what the batch changed, timestamps and the random backoff left out
create function pg_temp.state(after_event bigint) returns jsonb language sql as $$
  select jsonb_build_object(
    'jobs', (select jsonb_agg(jsonb_build_object('id', j.id, 'status', j.status, 'error', j.error, 'output', j.output,
               'finished', j.finished_at is not null, 'started', j.started_at is not null, 'retry_at', j.run_after is not null) order by j.id)
             from pgpod.jobs j where j.endpoint in ('t_mix', 't_mixg')),
    'runs', (select jsonb_agg(jsonb_build_object('id', r.id, 'status', r.status, 'webhooks', r.webhook_count, 'runpod_job_id', r.runpod_job_id,
               'finished', r.finished_at is not null, 'delay_ms', r.delay_ms, 'execution_ms', r.execution_ms) order by r.id)
             from pgpod.runs r where r.endpoint in ('t_mix', 't_mixg')),
    'events', (select jsonb_agg(e order by e::text) from (
                 select jsonb_build_object('job_id', e.job_id, 'run_id', e.run_id, 'kind', e.kind, 'detail', e.detail - 'delay_s') as e
                 from pgpod.job_events e where e.id > after_event) x),
    'files', (select jsonb_agg(to_jsonb(f) - 'created_at' order by f.job_id, f.index) from pgpod.job_files f
              where f.job_id in (select id from pgpod.jobs where endpoint = 't_mix')),
    'queued', (select count(*) from pgmq.q_pgpod_t_mix) + (select count(*) from pgmq.q_pgpod_t_mixg),
    'archived', (select count(*) from pgmq.a_pgpod_t_mix) + (select count(*) from pgmq.a_pgpod_t_mixg))
$$;

create function pg_temp.one_by_one(deliveries jsonb) returns jsonb language plpgsql as $$
declare
  d jsonb;
  answers jsonb := '[]';
begin
  for d in select x from jsonb_array_elements(deliveries) x loop
    answers := answers || jsonb_build_array(pgpod.complete_run((d ->> 'run_id')::bigint, (d ->> 'attempt')::integer, d -> 'result',
                                                               coalesce(d -> 'files', '[]')));
  end loop;
  return answers;
end $$;

select coalesce(max(id), 0) as first_event from pgpod.job_events \gset
savepoint before_batch;
select pgpod.complete_runs((select d from deliveries)) as batch_answers \gset
select pg_temp.state(:first_event) as batch_state \gset
rollback to savepoint before_batch;
select pg_temp.one_by_one((select d from deliveries)) as single_answers \gset

select is((select jsonb_agg(a -> 'outcome') from jsonb_array_elements(:'batch_answers'::jsonb) a),
  '["succeeded", "stale_attempt", "unknown_run", "duplicate", "duplicate_submission", "cancelled", "failed", "partial", "late"]'::jsonb,
  'each delivery gets its own outcome, in input order');
select is(:'batch_answers'::jsonb, :'single_answers'::jsonb, 'the answers are those of complete_run one by one');
select is(:'batch_state'::jsonb, pg_temp.state(:first_event), 'and so is everything recorded');
select is((select count(*) from pgpod.job_events where id > :first_event and kind = 'retry_scheduled'
             and run_id = (select run_id from c where k = 6)), 1::bigint,
  'a retried failure is recorded against its own run');
select is(pgpod.complete_runs('[]'), '[]'::jsonb, 'an empty batch answers an empty array');

select * from finish();
rollback;
