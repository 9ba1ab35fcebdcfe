-- The dispatcher's claim (queued -> submitting) is not broadcast; every other
-- change is, a cancel request on a submitting job too.
begin;
select plan(4);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000e1');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_claim_bc', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input, owner_id)
select 't_claim_bc', jsonb_build_object('n', g), '00000000-0000-4000-8000-0000000000e1' from generate_series(1, 3) g;
create function pg_temp.statuses() returns text[] language sql as $$
  select coalesce(array_agg(payload -> 'record' ->> 'status' order by payload -> 'record' ->> 'status'), '{}')
  from realtime.messages where topic = 'pgpod:jobs:00000000-0000-4000-8000-0000000000e1' and event = 'UPDATE'
$$;

create temp table c on commit drop as select * from pgpod.claim_runs('t_claim_bc', 3);
select is((select count(*) from pgpod.jobs where endpoint = 't_claim_bc' and status = 'submitting'), 3::bigint, 'three jobs are claimed');
select is(pg_temp.statuses(), '{}'::text[], 'the claim is not broadcast');

select pgpod.cancel((select (jobs -> 0 ->> 'job_id')::uuid from c order by run_id limit 1));
select is(pg_temp.statuses(), array['submitting'], 'a cancel request on a submitting job is');

select pgpod.mark_submitted((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'runpod_job_id', 'rp-' || run_id)) from c));
select is(pg_temp.statuses(), array['submitted', 'submitted', 'submitted', 'submitting'], 'the submission of each job is');

select * from finish();
rollback;
