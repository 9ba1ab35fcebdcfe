-- mark_submitted reaches a run's jobs by primary key, also under stale
-- statistics: analysed while every job had finished, then a burst queued and
-- claimed (the old plan then walked jobs_active_idx, 110 ms instead of 8 ms
-- at scale). No status predicate may lead it over jobs_active_idx and no join
-- may scan pgpod.jobs whole.
begin;
select plan(3);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_mark_plan', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input) select 't_mark_plan', jsonb_build_object('n', g) from generate_series(1, 3000) g;
update pgpod.jobs set status = 'succeeded', finished_at = now() where endpoint = 't_mark_plan';
select pgmq.purge_queue(queue_name) from pgpod.endpoints where name = 't_mark_plan';
-- (statistics taken in this transaction are undone with it)
analyze pgpod.jobs;
insert into pgpod.jobs (endpoint, input) select 't_mark_plan', jsonb_build_object('n', g) from generate_series(1, 3000) g;

create temp table c on commit drop as select * from pgpod.claim_runs('t_mark_plan', 20);
create temp table before on commit drop as
select pg_stat_get_xact_numscans('pgpod.jobs'::regclass) as seq_scans,
       pg_stat_get_xact_numscans('pgpod.jobs_active_idx'::regclass) as active_scans;
select pgpod.mark_submitted((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'runpod_job_id', 'rp-' || run_id)) from c));
create temp table scans on commit drop as
select pg_stat_get_xact_numscans('pgpod.jobs'::regclass) - b.seq_scans as seq_scans,
       pg_stat_get_xact_numscans('pgpod.jobs_active_idx'::regclass) - b.active_scans as active_scans
from before b;

select is((select count(*) from pgpod.jobs where endpoint = 't_mark_plan' and status = 'submitted'), 20::bigint, 'the twenty claimed jobs are submitted');
select is((select seq_scans from scans), 0::bigint, 'mark_submitted does not scan pgpod.jobs whole');
select is((select active_scans from scans), 0::bigint, 'nor jobs_active_idx');

select * from finish();
rollback;
