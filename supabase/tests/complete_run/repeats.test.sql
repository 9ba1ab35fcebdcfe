-- A run's repeated deliveries (a leaked webhook URL replayed) are all counted
-- in runs.webhook_count but only the first few land in job_events.
begin;
select plan(3);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_rep', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input) values ('t_rep', '{}');
create temp table c on commit drop as select * from pgpod.claim_runs('t_rep', 1);
select pgpod.complete_run((select run_id from c), 1, '{"id": "rp-1", "status": "COMPLETED", "output": {"ok": true}}');
select pgpod.complete_run((select run_id from c), 1, '{"id": "rp-1", "status": "COMPLETED", "output": {"ok": true}}')
from generate_series(1, 200);

select is((select webhook_count from pgpod.runs where id = (select run_id from c)), 201, 'every delivery is counted');
select is((select count(*) from pgpod.job_events where run_id = (select run_id from c) and kind = 'duplicate'), 9::bigint,
  'only the repeats among its first ten deliveries are recorded');
select is((select status::text from pgpod.jobs where endpoint = 't_rep'), 'succeeded', 'and the job stays as it was');

select * from finish();
rollback;
