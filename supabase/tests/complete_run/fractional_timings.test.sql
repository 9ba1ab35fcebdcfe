-- Timings that are not whole milliseconds are rounded, not a reason to refuse
-- the delivery (which would leave the run in flight forever).
begin;
select plan(2);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_frac', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input) values ('t_frac', '{}');
create temp table c on commit drop as select * from pgpod.claim_runs('t_frac', 1);

select is((select pgpod.complete_run((select run_id from c), 1,
             '{"id": "rp-f", "status": "COMPLETED", "delayTime": 12.5, "executionTime": 1000.4, "output": {"ok": true}}') ->> 'outcome'),
  'succeeded', 'the delivery is applied');
select is((select (delay_ms, execution_ms)::text from pgpod.runs where id = (select run_id from c)), '(13,1000)',
  'timings are rounded to whole milliseconds');

select * from finish();
rollback;
