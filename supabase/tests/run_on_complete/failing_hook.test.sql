-- A hook that raises does not stop the job from finishing: its own writes are
-- undone, the failure is recorded, and the delivery is applied once.
begin;
select plan(5);

create table public.t_hook_log (job_id uuid);
create function public.t_hook_breaks(job pgpod.jobs) returns void language plpgsql as $$
begin
  insert into public.t_hook_log values (job.id);
  raise exception 'app table is locked for maintenance';
end $$;
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, on_complete)
values ('t_hook', 'ep', 'http://runpod.test/v2', 'public.t_hook_breaks');
insert into pgpod.jobs (endpoint, input) values ('t_hook', '{}');
create temp table c on commit drop as select * from pgpod.claim_runs('t_hook', 1);

select is((select pgpod.complete_run((select run_id from c), 1,
             '{"id": "rp-h", "status": "COMPLETED", "output": {"ok": true}}') ->> 'applied'), 'true',
  'the completion is applied');
select is((select status::text from pgpod.jobs where endpoint = 't_hook'), 'succeeded', 'the job succeeded');
select is((select count(*) from public.t_hook_log), 0::bigint, 'the hook''s own writes are undone');
select is((select detail ->> 'error' from pgpod.job_events e join pgpod.jobs j on j.id = e.job_id
           where j.endpoint = 't_hook' and e.kind = 'on_complete_failed'),
  'app table is locked for maintenance', 'the failure is recorded with the hook''s error');
select is((select pgpod.complete_run((select run_id from c), 1,
             '{"id": "rp-h", "status": "COMPLETED", "output": {"ok": true}}') ->> 'applied'), 'false',
  'a repeated delivery is not applied again');

select * from finish();
rollback;
