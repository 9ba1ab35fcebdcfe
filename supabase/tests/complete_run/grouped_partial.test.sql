-- In grouped runs each job gets its own result; one job's error does not fail the others.
begin;
select plan(5);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, batch_size, max_attempts)
values ('t_gp', 'ep', 'http://runpod.test/v2', 3, 1);
insert into pgpod.jobs (endpoint, input) select 't_gp', jsonb_build_object('n', g) from generate_series(1, 3) g;
create temp table c on commit drop as select * from pgpod.claim_runs('t_gp', 1);
create temp table ids on commit drop as
select (jobs -> 0 ->> 'job_id')::uuid as j1, (jobs -> 1 ->> 'job_id')::uuid as j2, (jobs -> 2 ->> 'job_id')::uuid as j3 from c;

create temp table res on commit drop as
select pgpod.complete_run((select run_id from c), 1, jsonb_build_object('id', 'rp-g', 'status', 'COMPLETED', 'output',
  jsonb_build_object('results', jsonb_build_array(
    jsonb_build_object('job_id', (select j1 from ids), 'output', jsonb_build_object('text', 'one')),
    jsonb_build_object('job_id', (select j2 from ids), 'error', 'could not decode audio'))))) as r;

select is((select r ->> 'outcome' from res), 'partial', 'the outcome says some jobs failed');
select is((select (status, output ->> 'text')::text from pgpod.jobs where id = (select j1 from ids)), '(succeeded,one)',
  'the job with output succeeded');
select is((select (status, error)::text from pgpod.jobs where id = (select j2 from ids)), '(failed,"could not decode audio")',
  'the job with an error failed with it');
select is((select (status, error)::text from pgpod.jobs where id = (select j3 from ids)), '(failed,missing_result)',
  'a job missing from the results failed');
select is((select status from pgpod.runs where id = (select run_id from c)), 'COMPLETED', 'the run completed');

select * from finish();
rollback;
