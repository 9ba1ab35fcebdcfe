-- Cancel in every state.
begin;
select plan(9);

insert into auth.users (id) values ('00000000-0000-4000-8000-00000000000a');
create table public.t_cancelled (job_id uuid);
create function public.t_on_cancel(job pgpod.jobs) returns void language sql as $$
  insert into public.t_cancelled values (job.id)
$$;
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, on_complete) values ('t_can', 'ep', 'http://runpod.test/v2', 'public.t_on_cancel');
insert into pgpod.jobs (endpoint, input, owner_id) select 't_can', jsonb_build_object('n', g), '00000000-0000-4000-8000-00000000000a'
from generate_series(1, 3) g;
create temp table c on commit drop as select * from pgpod.claim_runs('t_can', 2);
create temp table j on commit drop as
select (select (jobs -> 0 ->> 'job_id')::uuid from c order by run_id limit 1) as submitting,
       (select (jobs -> 0 ->> 'job_id')::uuid from c order by run_id offset 1 limit 1) as running,
       (select id from pgpod.jobs where endpoint = 't_can' and status = 'queued') as queued;
select pgpod.complete_run((select run_id from c order by run_id offset 1 limit 1), 1, '{"id": "rp-r", "status": "IN_PROGRESS"}');
grant select on j to authenticated;

select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000a","role":"authenticated"}', true);
set local role authenticated;
select is((select status::text from pgpod.cancel((select queued from j))), 'cancelled', 'a queued job is cancelled at once');
select is((select (status, cancel_requested_at is not null)::text from pgpod.cancel((select submitting from j))), '(submitting,t)',
  'a submitting job gets a cancel request');
select is((select (status, cancel_requested_at is not null)::text from pgpod.cancel((select running from j))), '(running,t)',
  'a running job gets a cancel request');
reset role;
select is((select count(*) from public.t_cancelled), 1::bigint, 'on_complete ran for the job that ended');

select is((select action from pgpod.runs_to_reconcile(10) where run_id = (select run_id from c order by run_id offset 1 limit 1)),
  'cancel', 'the running job''s cancel is handed to the dispatcher');
select pgpod.complete_run((select run_id from c order by run_id offset 1 limit 1), 1, '{"id": "rp-r", "status": "CANCELLED"}');
select is((select status::text from pgpod.jobs where id = (select running from j)), 'cancelled', 'RunPod''s CANCELLED ends it');

select pgpod.release_run((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', 1, 'reason', 'http_503'))
                          from (select * from c order by run_id limit 1) x));
select is((select status::text from pgpod.jobs where id = (select submitting from j)), 'cancelled',
  'a failed submission of a job with a cancel request cancels it instead of retrying');

select is((select status::text from pgpod.cancel((select queued from j))), 'cancelled', 'cancelling a finished job changes nothing');
select is((select count(*) from public.t_cancelled), 3::bigint, 'on_complete ran once per cancelled job');

select * from finish();
rollback;
