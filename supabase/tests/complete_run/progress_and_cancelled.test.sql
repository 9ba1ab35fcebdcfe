-- Non-terminal statuses move jobs forward; CANCELLED cancels them.
begin;
select plan(6);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_prog', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input) values ('t_prog', '{}');
create temp table c on commit drop as select * from pgpod.claim_runs('t_prog', 1);

-- the webhook (or a poll) can arrive before mark_submitted
select is((select pgpod.complete_run((select run_id from c), 1, '{"id": "rp-p", "status": "IN_QUEUE"}') ->> 'outcome'), 'progress',
  'IN_QUEUE is progress');
select is((select status::text from pgpod.jobs where endpoint = 't_prog'), 'submitted', 'a submitting job becomes submitted');
select is((select (status, runpod_job_id)::text from pgpod.runs where id = (select run_id from c)), '(IN_QUEUE,rp-p)',
  'the run takes the RunPod job id from the body');
select pgpod.complete_run((select run_id from c), 1, '{"id": "rp-p", "status": "IN_PROGRESS"}');
select is((select status::text from pgpod.jobs where endpoint = 't_prog'), 'running', 'IN_PROGRESS makes it running');
select pgpod.complete_run((select run_id from c), 1, '{"id": "rp-p", "status": "IN_QUEUE"}');
select is((select status::text from pgpod.jobs where endpoint = 't_prog'), 'running', 'status never moves backwards');
select pgpod.complete_run((select run_id from c), 1, '{"id": "rp-p", "status": "CANCELLED"}');
select is((select status::text from pgpod.jobs where endpoint = 't_prog'), 'cancelled', 'CANCELLED cancels the job');

select * from finish();
rollback;
