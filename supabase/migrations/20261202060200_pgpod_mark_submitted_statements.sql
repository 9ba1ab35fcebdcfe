-- mark_submitted in three statements instead of five: the endpoint_health
-- reset joins the runs update, and the late submissions are found and
-- recorded in one statement. Starts from 20261202060100 (runs locked in id
-- order); answers and records are unchanged (supabase/tests/mark_submitted/).

create or replace function pgpod.mark_submitted(submissions jsonb)
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  done jsonb;
  stale jsonb;
begin
  with s as (
    select x.run_id, x.attempt, x.runpod_job_id
    from jsonb_to_recordset(submissions) as x(run_id bigint, attempt integer, runpod_job_id text)
  ), locked as materialized (
    -- Runs are locked in id order, as complete_runs locks them: an update
    -- joined to the submissions would lock them in the caller's order, and a
    -- webhook batch holding one of them while waiting for another deadlocks.
    select x.id from pgpod.runs x
    where x.id = any(array(select s.run_id from s))
    order by x.id
    for update
  ), runs_done as (
    update pgpod.runs r
       set status = 'IN_QUEUE', runpod_job_id = s.runpod_job_id, submitted_at = now()
      from s join locked l on l.id = s.run_id
     where r.id = s.run_id and r.attempt = s.attempt and r.status = 'submitting'
    returning r.id, r.endpoint, r.job_ids, r.msg_ids
  ), jobs_done as (
    update pgpod.jobs j
       set status = 'submitted', submitted_at = now(), updated_at = now(), submit_failures = 0
      from runs_done r
     where j.id = any(r.job_ids) and j.run_id = r.id and j.status::text = 'submitting'
  ), health as (
    -- only rows with something to clear are written: this is the hot path
    update pgpod.endpoint_health h
       set refusals = 0, dispatch_after = null, problem = null, problem_at = null
     where h.endpoint in (select r.endpoint from runs_done r)
       and (h.refusals <> 0 or h.dispatch_after is not null or h.problem is not null)
  )
  select coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'endpoint', r.endpoint, 'msg_ids', r.msg_ids)), '[]')
    into done from runs_done r;

  perform pgmq.archive(queue_name => e.queue_name::text, msg_ids => m.msg_ids)
  from (
    select d.endpoint, array_agg(mid) as msg_ids
    from jsonb_to_recordset(done) as d(endpoint text, msg_ids bigint[]), unnest(d.msg_ids) mid
    group by d.endpoint
  ) m
  join pgpod.endpoints e on e.name = m.endpoint;

  -- A webhook that beat this call already recorded the same RunPod job: fine.
  -- A statement of its own, after the lock waits above, so that its snapshot
  -- sees a webhook batch that committed while this call waited for a run.
  with late as (
    select s.run_id, s.runpod_job_id
    from jsonb_to_recordset(submissions) as s(run_id bigint, attempt integer, runpod_job_id text)
    where not exists (select 1 from jsonb_to_recordset(done) as d(id bigint) where d.id = s.run_id)
      and not exists (select 1 from pgpod.runs r
                      where r.id = s.run_id and r.attempt = s.attempt and r.runpod_job_id = s.runpod_job_id)
  ), recorded as (
    insert into pgpod.job_events (run_id, kind, detail)
    select l.run_id, 'late_submission', jsonb_build_object('runpod_job_id', l.runpod_job_id) from late l
  )
  select coalesce(jsonb_agg(jsonb_build_object('run_id', l.run_id, 'runpod_job_id', l.runpod_job_id)), '[]')
    into stale from late l;

  return jsonb_build_object('submitted', jsonb_array_length(done), 'stale', stale);
end $$;
