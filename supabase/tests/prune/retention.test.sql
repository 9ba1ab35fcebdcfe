-- prune deletes old audit events and archived messages, keeping recent ones.
begin;
select plan(3);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_prune', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input) values ('t_prune', '{}');
create temp table c on commit drop as select * from pgpod.claim_runs('t_prune', 1);
select pgpod.mark_submitted((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'runpod_job_id', 'rp')) from c));
insert into pgpod.job_events (kind, created_at) values ('old', now() - interval '30 days'), ('new', now());
update pgmq.a_pgpod_t_prune set archived_at = now() - interval '30 days';

create temp table res on commit drop as select pgpod.prune('7 days') as r;
select is((select (r ->> 'archived_messages')::int from res), 1, 'old archived messages are deleted');
select is((select count(*) from pgpod.job_events where kind in ('old', 'new')), 1::bigint, 'old events are deleted, new ones kept');
select ok((select (r ->> 'job_events')::int >= 1 from res), 'the counts are reported');

select * from finish();
rollback;
