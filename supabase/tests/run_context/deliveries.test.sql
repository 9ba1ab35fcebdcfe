-- run_context tells the webhook where a delivery's files go, and only while
-- complete_run would still apply that delivery.
begin;
select plan(8);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, batch_size, output_bucket, public_outputs)
values ('t_ctx', 'ep', 'http://runpod.test/v2', 2, 'ctx-bucket', true);
insert into pgpod.jobs (endpoint, input) select 't_ctx', jsonb_build_object('n', g) from generate_series(1, 2) g;
create temp table c on commit drop as select * from pgpod.claim_runs('t_ctx', 1);

select is((select pgpod.run_context(run_id, attempt, 'rp-1') ->> 'bucket' from c), 'ctx-bucket',
  'a claimed run (not yet marked submitted) has a context, with the endpoint''s bucket');
select is((select pgpod.run_context(run_id, attempt, 'rp-1') -> 'jobs' from c),
  (select jsonb_agg(j.job - 'owner_id' order by j.n) from c, jsonb_array_elements(c.jobs) with ordinality as j(job, n)),
  'its jobs and folders are the ones claim_runs handed out, in the same order');
select ok((select (pgpod.run_context(run_id, attempt, 'rp-1') ->> 'grouped')::boolean
                  and (pgpod.run_context(run_id, attempt, 'rp-1') ->> 'public_outputs')::boolean from c),
  'grouped and public_outputs come along');
select is((select pgpod.run_context(run_id, attempt, 'rp-1') -> 'allow_active_outputs' from c), 'false'::jsonb,
  'allow_active_outputs comes along, off by default');
select is((select pgpod.run_context(run_id, attempt + 1, 'rp-1') from c), null, 'another attempt has none');

select pgpod.mark_submitted((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'runpod_job_id', 'rp-1')) from c));
select is((select pgpod.run_context(run_id, attempt, 'rp-2') from c), null,
  'a delivery for another RunPod job (a duplicate submission) has none');
select isnt((select pgpod.run_context(run_id, attempt, 'rp-1') from c), null, 'the recorded RunPod job still has one');

select pgpod.complete_run((select run_id from c), 1, '{"id": "rp-1", "status": "COMPLETED", "output": {"results": []}}');
select is((select pgpod.run_context(run_id, attempt, 'rp-1') from c), null, 'a finished run has none: repeats write nothing');

select * from finish();
rollback;
