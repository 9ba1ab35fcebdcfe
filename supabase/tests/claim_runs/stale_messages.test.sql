-- Messages of jobs that are no longer queued are dropped, never claimed.
begin;
select plan(4);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_stale', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input) select 't_stale', jsonb_build_object('n', g) from generate_series(1, 3) g;
select pgpod.cancel((select id from pgpod.jobs where input = '{"n": 1}'));
-- a duplicate message of a queued job (at-least-once delivery)
select pgmq.send(queue_name => 'pgpod_t_stale', msg => jsonb_build_object('job_id', (select id from pgpod.jobs where input = '{"n": 2}')), delay => 0);

create temp table c on commit drop as select * from pgpod.claim_runs('t_stale', 10);
select is((select count(*) from c), 2::bigint, 'the cancelled job is not claimed');
select is((select count(distinct jobs -> 0 ->> 'job_id') from c), 2::bigint, 'a job with two messages is claimed once');
select is((select count(*) from pgmq.q_pgpod_t_stale), 2::bigint, 'the stale and duplicate messages are deleted');
select is((select status::text from pgpod.jobs where input = '{"n": 1}'), 'cancelled', 'the cancelled job stays cancelled');

select * from finish();
rollback;
