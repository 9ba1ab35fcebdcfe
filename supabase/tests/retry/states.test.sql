-- Retry puts failed or cancelled jobs back with a fresh attempt budget.
begin;
select plan(6);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_attempts) values ('t_retry', 'ep', 'http://runpod.test/v2', 1);
insert into pgpod.jobs (endpoint, input) values ('t_retry', '{"n": 1}'), ('t_retry', '{"n": 2}');
create temp table c on commit drop as select * from pgpod.claim_runs('t_retry', 1);
select pgpod.complete_run((select run_id from c), 1, '{"id": "rp", "status": "FAILED", "error": "boom"}');
create temp table f on commit drop as select id from pgpod.jobs where endpoint = 't_retry' and status = 'failed';

select is((select (status, attempt, error)::text from pgpod.retry((select id from f))), '(queued,0,)',
  'a failed job is queued again with no attempts used');
select is((select count(*) from pgpod.claim_runs('t_retry', 5)), 2::bigint, 'and is claimed again');
select throws_ok(format('select pgpod.retry(%L)', (select id from f)), 'PT409', null,
  'a job in flight cannot be retried');

insert into pgpod.jobs (endpoint, input) values ('t_retry', '{"n": 3}');
select pgpod.cancel((select id from pgpod.jobs where input = '{"n": 3}'));
select is((select status::text from pgpod.retry((select id from pgpod.jobs where input = '{"n": 3}'))), 'queued',
  'a cancelled job can be retried');
select is((select count(*) from pgpod.job_events e join pgpod.jobs j on j.id = e.job_id
           where e.kind = 'retried' and j.endpoint = 't_retry'), 2::bigint, 'retries are recorded');
select throws_ok($$ select pgpod.retry('00000000-0000-4000-8000-000000000999') $$, 'PT404', null, 'an unknown job is an error');

select * from finish();
rollback;
