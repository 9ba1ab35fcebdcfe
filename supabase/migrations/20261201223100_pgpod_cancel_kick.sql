-- Cancelling a job RunPod holds kicks the dispatcher, so /cancel reaches
-- RunPod within about a second instead of at the next cron run.
create or replace function pgpod.cancel(job_id uuid)
returns pgpod.jobs
language plpgsql security definer set search_path = '' as $$
declare
  job pgpod.jobs := pgpod.find_own_job(job_id);
begin
  if job.status = 'queued' then
    -- its message is dropped by the next claim
    update pgpod.jobs j
       set status = 'cancelled', cancel_requested_at = now(), finished_at = now(), updated_at = now()
     where j.id = job.id
    returning * into job;
    perform pgpod.record_event(array[job.id], null, 'cancelled', '{"by": "cancel"}');
    perform pgpod.run_on_complete(array[job.id]);
  elsif job.status in ('submitting', 'submitted', 'running') and job.cancel_requested_at is null then
    update pgpod.jobs j set cancel_requested_at = now(), updated_at = now()
     where j.id = job.id
    returning * into job;
    perform pgpod.record_event(array[job.id], job.run_id, 'cancel_requested', '{}');
    -- Once every job of the run asked, the dispatcher forwards /cancel: call
    -- it now rather than at the next cron run (one call per transaction).
    if current_setting('pgpod.cancel_kicked', true) is distinct from 'on'
       and not exists (select 1 from pgpod.jobs o
                       where o.run_id = job.run_id and o.status in ('submitting', 'submitted', 'running')
                         and o.cancel_requested_at is null) then
      perform set_config('pgpod.cancel_kicked', 'on', true);
      perform pgpod.kick_dispatcher('cancel', true);
    end if;
  end if;
  return job;
end $$;
