-- Overdue runs are handed out for polling, cancel requests for forwarding, and
-- runs stuck in 'submitting' (a crashed dispatcher) go back to the queue.
begin;
select plan(10);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_attempts) values ('t_rec', 'ep-rec', 'http://runpod.test/v2', 2);
insert into pgpod.jobs (endpoint, input) select 't_rec', jsonb_build_object('n', g) from generate_series(1, 4) g;
create temp table c on commit drop as select *, row_number() over (order by run_id) as nth from pgpod.claim_runs('t_rec', 4);
select pgpod.mark_submitted((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'runpod_job_id', 'rp-' || nth))
                             from c where nth <= 3));
-- run 1: silent for 10 minutes; run 2: fresh; run 3: its job asked to cancel; run 4: dispatcher died 10 minutes ago
update pgpod.runs set submitted_at = now() - interval '10 minutes' where id = (select run_id from c where nth = 1);
select pgpod.cancel((select (jobs -> 0 ->> 'job_id')::uuid from c where nth = 3));
update pgpod.runs set claimed_at = now() - interval '10 minutes' where id = (select run_id from c where nth = 4);

create temp table due on commit drop as select * from pgpod.runs_to_reconcile(10);
select is((select (runpod_job_id, action, runpod_endpoint_id, api_base)::text from due where run_id = (select run_id from c where nth = 1)),
  '(rp-1,poll,ep-rec,http://runpod.test/v2)', 'a run not heard from is to be polled');
select is((select action from due where run_id = (select run_id from c where nth = 3)), 'cancel', 'a cancel request is to be forwarded');
select is((select count(*) from due), 2::bigint, 'fresh runs are left alone');
select is((select count(*) from pgpod.runs_to_reconcile(10)), 0::bigint, 'handed-out runs are not handed out again at once');

select is((select status from pgpod.runs where id = (select run_id from c where nth = 4)), 'abandoned', 'the stuck run is abandoned');
select is((select (status, attempt)::text from pgpod.jobs where id = (select (jobs -> 0 ->> 'job_id')::uuid from c where nth = 4)),
  '(queued,1)', 'its job is queued again, the attempt counted');
select is((select count(*) from pgmq.q_pgpod_t_rec where message ->> 'job_id' = (select jobs -> 0 ->> 'job_id' from c where nth = 4)),
  1::bigint, 'with exactly one new message');
select is((select count(*) from pgpod.job_events where kind = 'requeued_lost_dispatch' and run_id = (select run_id from c where nth = 4)),
  1::bigint, 'the requeue is recorded');

-- the dead dispatcher's RunPod job reports back later
select is((select pgpod.complete_run((select run_id from c where nth = 4), 1, '{"id": "rp-4", "status": "COMPLETED", "output": {}}') ->> 'outcome'),
  'late', 'its late delivery is recognised');
select is((select status::text from pgpod.jobs where id = (select (jobs -> 0 ->> 'job_id')::uuid from c where nth = 4)), 'queued',
  'and not applied');

select * from finish();
rollback;
