-- claim_runs reaches the claimed jobs by primary key, also under the stale
-- statistics a prune leaves: analysed while few jobs were live among many
-- dead ones, then a burst queued. No status predicate may lead it over
-- jobs_active_idx and no join may scan pgpod.jobs whole.
begin;
select plan(3);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_claim_plan', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input) select 't_claim_plan', jsonb_build_object('n', g) from generate_series(1, 3000) g;
delete from pgpod.jobs where endpoint = 't_claim_plan';
select pgmq.purge_queue(queue_name) from pgpod.endpoints where name = 't_claim_plan';
insert into pgpod.jobs (endpoint, input) select 't_claim_plan', jsonb_build_object('n', g) from generate_series(1, 10) g;
-- (statistics taken in this transaction are undone with it)
analyze pgpod.jobs;
insert into pgpod.jobs (endpoint, input) select 't_claim_plan', jsonb_build_object('n', g) from generate_series(1, 3000) g;

create temp table before on commit drop as
select pg_stat_get_xact_numscans('pgpod.jobs'::regclass) as seq_scans,
       pg_stat_get_xact_numscans('pgpod.jobs_active_idx'::regclass) as active_scans;
create temp table c on commit drop as select * from pgpod.claim_runs('t_claim_plan', 5);
create temp table scans on commit drop as
select pg_stat_get_xact_numscans('pgpod.jobs'::regclass) - b.seq_scans as seq_scans,
       pg_stat_get_xact_numscans('pgpod.jobs_active_idx'::regclass) - b.active_scans as active_scans
from before b;

select is((select count(*) from pgpod.jobs where endpoint = 't_claim_plan' and status = 'submitting'), 5::bigint, 'five jobs are claimed');
select is((select seq_scans from scans), 0::bigint, 'claim_runs does not scan pgpod.jobs whole');
select is((select active_scans from scans), 0::bigint, 'nor jobs_active_idx');

select * from finish();
rollback;
