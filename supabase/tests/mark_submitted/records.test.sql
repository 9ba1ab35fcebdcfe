-- mark_submitted records RunPod job ids for many runs and retires their messages.
begin;
select plan(7);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_mark', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input) select 't_mark', jsonb_build_object('n', g) from generate_series(1, 4) g;
create temp table c on commit drop as select * from pgpod.claim_runs('t_mark', 10);

-- run 3 was abandoned by the reconciler; run 4's webhook arrived first
update pgpod.runs set status = 'abandoned' where id = (select run_id from c order by run_id offset 2 limit 1);
select pgpod.complete_run((select run_id from c order by run_id offset 3 limit 1), 1,
  jsonb_build_object('id', 'rp-4', 'status', 'IN_PROGRESS'));

create temp table res on commit drop as
select pgpod.mark_submitted((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt,
                                              'runpod_job_id', 'rp-' || row_number)) from (select *, row_number() over (order by run_id) from c) x)) as r;

select is((select (r ->> 'submitted')::int from res), 2, 'two runs are recorded');
select is((select count(*) from pgpod.runs where endpoint = 't_mark' and status = 'IN_QUEUE' and runpod_job_id is not null), 2::bigint,
  'recorded runs are IN_QUEUE with their RunPod job id');
select is((select count(*) from pgpod.jobs where endpoint = 't_mark' and status = 'submitted' and submitted_at is not null), 2::bigint,
  'their jobs are submitted');
select is((select jsonb_path_query_array(r, '$.stale[*].runpod_job_id') from res), '["rp-3"]'::jsonb,
  'a run no longer waiting is returned as stale, for the caller to cancel');
select is((select count(*) from pgpod.job_events where kind = 'late_submission' and detail ->> 'runpod_job_id' = 'rp-3'), 1::bigint,
  'the late submission is recorded');
select is((select count(*) from pgmq.q_pgpod_t_mark), 1::bigint, 'messages of recorded runs are archived (the abandoned run''s stays)');
select is((select pgpod.mark_submitted((select jsonb_build_array(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'runpod_job_id', 'rp-1'))
                                        from c order by run_id limit 1)) ->> 'stale'), '[]', 'a repeated call changes nothing and is not stale');

select * from finish();
rollback;
