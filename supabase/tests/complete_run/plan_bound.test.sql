-- complete_run and mark_submitted reach a run's jobs only through the primary
-- key or jobs_run_idx: no status predicate may lead them over jobs_active_idx,
-- whose size grows with every active job of every endpoint.
begin;
select plan(2);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_plan', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input) select 't_plan', jsonb_build_object('n', g) from generate_series(1, 300) g;
create temp table c on commit drop as select * from pgpod.claim_runs('t_plan', 2);
create temp table before on commit drop as
select pg_stat_get_xact_numscans('pgpod.jobs_active_idx'::regclass) as active_scans;

select pgpod.mark_submitted((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'runpod_job_id', 'rp-' || run_id)) from c));
select pgpod.complete_run(run_id, attempt, jsonb_build_object('id', 'rp-' || run_id, 'status', 'COMPLETED', 'output', '{"ok": true}')) from c;

select is((select count(*) from pgpod.jobs where endpoint = 't_plan' and status = 'succeeded'), 2::bigint, 'both runs completed');
select is(pg_stat_get_xact_numscans('pgpod.jobs_active_idx'::regclass) - (select active_scans from before), 0::bigint,
  'neither call scanned jobs_active_idx');

select * from finish();
rollback;
