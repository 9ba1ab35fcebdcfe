-- COMPLETED stores the output, timings and files, and calls on_complete in the same transaction.
begin;
select plan(9);

insert into auth.users (id) values ('00000000-0000-4000-8000-00000000000a');
create table public.t_done (job_id uuid, status text);
create function public.t_on_done(job pgpod.jobs) returns void language sql as $$
  insert into public.t_done values (job.id, job.status::text)
$$;
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, on_complete)
values ('t_ok', 'ep', 'http://runpod.test/v2', 'public.t_on_done');
insert into pgpod.jobs (endpoint, input, owner_id) values ('t_ok', '{"n": 1}', '00000000-0000-4000-8000-00000000000a');
create temp table c on commit drop as select * from pgpod.claim_runs('t_ok', 1);
select pgpod.mark_submitted((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'runpod_job_id', 'rp-ok')) from c));

create temp table res on commit drop as
select pgpod.complete_run((select run_id from c), 1,
  '{"id": "rp-ok", "status": "COMPLETED", "delayTime": 1500, "executionTime": 2500, "output": {"files": [{"filename": "a.png", "bucket": "pgpod-outputs"}], "caption": "cat"}}',
  (select jsonb_build_array(jsonb_build_object('job_id', jobs -> 0 ->> 'job_id', 'index', 0, 'filename', 'a.png',
     'bucket', 'pgpod-outputs', 'path', (jobs -> 0 ->> 'storage_prefix') || 'a.png', 'content_type', 'image/png',
     'size', 42, 'sha256', 'abc')) from c)) as r;

select is((select r - 'job_ids' from res), '{"applied": true, "outcome": "succeeded"}'::jsonb, 'the result is applied');
select is((select r -> 'job_ids' -> 0 ->> 0 from res), (select jobs -> 0 ->> 'job_id' from c), 'the summary names the job');
select is((select (status, output ->> 'caption', error)::text from pgpod.jobs where endpoint = 't_ok'), '(succeeded,cat,)',
  'the job succeeded with its output');
select ok((select finished_at is not null and started_at is not null from pgpod.jobs where endpoint = 't_ok'), 'timestamps are set');
select is((select (status, delay_ms, execution_ms)::text from pgpod.runs where id = (select run_id from c)), '(COMPLETED,1500,2500)',
  'the run keeps RunPod''s timings');
select is((select (owner_id, path, content_type, size)::text from pgpod.job_files
           where job_id = (select (jobs -> 0 ->> 'job_id')::uuid from c)),
  '(00000000-0000-4000-8000-00000000000a,00000000-0000-4000-8000-00000000000a/t_ok/' || (select jobs -> 0 ->> 'job_id' from c) || '/a.png,image/png,42)',
  'file rows are stored with the owner');
select is((select status from public.t_done), 'succeeded', 'on_complete ran with the finished job');

select is((select pgpod.complete_run((select run_id from c), 1, '{"id": "rp-ok", "status": "COMPLETED", "output": {"caption": "dog"}}') ->> 'applied'),
  'false', 'a repeated delivery is not applied');
select is((select count(*) from public.t_done), 1::bigint, 'on_complete ran once');

select * from finish();
rollback;
