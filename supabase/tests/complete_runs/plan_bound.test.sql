-- complete_runs writes each run once and each job once, reaches runs and jobs
-- by key (never over jobs_active_idx, whatever the statistics say), and never
-- scans either table whole once they hold a queue's history.
begin;
select plan(5);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base)
values ('t_cplan', 'ep', 'http://runpod.test/v2'), ('t_cplan_past', 'ep', 'http://runpod.test/v2');
-- a history of finished runs and jobs (a table of a few pages is best read
-- whole, and the planner rightly does so)
insert into pgpod.runs (endpoint, attempt, grouped, job_ids, msg_ids, status, finished_at)
select 't_cplan_past', 1, false, '{}', '{}', 'COMPLETED', now() from generate_series(1, 20000);
insert into pgpod.jobs (endpoint, input) select 't_cplan_past', jsonb_build_object('n', g) from generate_series(1, 3000) g;
update pgpod.jobs set status = 'succeeded', finished_at = now() where endpoint = 't_cplan_past';
-- statistics taken while few jobs were active, many more since
analyze pgpod.jobs;
analyze pgpod.runs;
insert into pgpod.jobs (endpoint, input) select 't_cplan', jsonb_build_object('n', g) from generate_series(1, 400) g;
create temp table c on commit drop as select * from pgpod.claim_runs('t_cplan', 50);
select pgpod.mark_submitted((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'runpod_job_id', 'rp-' || run_id)) from c));
create function pg_temp.counters() returns table (active_scans bigint, job_seq_scans bigint, run_seq_scans bigint,
                                                 runs_written bigint, jobs_written bigint)
language sql as $$
  select pg_stat_get_xact_numscans('pgpod.jobs_active_idx'::regclass) as active_scans,
       pg_stat_get_xact_numscans('pgpod.jobs'::regclass) as job_seq_scans,
       pg_stat_get_xact_numscans('pgpod.runs'::regclass) as run_seq_scans,
       pg_stat_get_xact_tuples_updated('pgpod.runs'::regclass) as runs_written,
       pg_stat_get_xact_tuples_updated('pgpod.jobs'::regclass) as jobs_written
$$;
create temp table before on commit drop as select * from pg_temp.counters();

select pgpod.complete_runs((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt,
  'result', jsonb_build_object('id', 'rp-' || run_id, 'status', 'COMPLETED', 'output', '{"ok": true}'::jsonb))) from c));
create temp table after on commit drop as select * from pg_temp.counters();

select is((select count(*) from pgpod.jobs where endpoint = 't_cplan' and status = 'succeeded'), 50::bigint, 'all 50 runs completed');
select is((select active_scans from after) - (select active_scans from before), 0::bigint,
  'jobs_active_idx was not scanned');
select is(((select job_seq_scans from after) - (select job_seq_scans from before),
           (select run_seq_scans from after) - (select run_seq_scans from before))::text, '(0,0)',
  'neither jobs nor runs was scanned whole');
select is((select runs_written from after) - (select runs_written from before), 50::bigint,
  'one write per run');
select is((select jobs_written from after) - (select jobs_written from before), 50::bigint,
  'one write per job');

select * from finish();
rollback;
