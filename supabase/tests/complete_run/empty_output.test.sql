-- COMPLETED without output is a failure (the worker's result was lost).
begin;
select plan(2);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_attempts) values ('t_empty', 'ep', 'http://runpod.test/v2', 1);
insert into pgpod.jobs (endpoint, input) values ('t_empty', '{}');
create temp table c on commit drop as select * from pgpod.claim_runs('t_empty', 1);

select is((select pgpod.complete_run((select run_id from c), 1, '{"id": "rp-e", "status": "COMPLETED"}') ->> 'outcome'),
  'failed', 'the run is applied as a failure');
select is((select (status, error, output)::text from pgpod.jobs where endpoint = 't_empty'), '(failed,empty_output,)',
  'the job fails with empty_output');

select * from finish();
rollback;
