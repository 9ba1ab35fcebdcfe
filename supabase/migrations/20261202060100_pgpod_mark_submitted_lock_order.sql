-- mark_submitted locks its runs in id order.
--
-- complete_runs holds several run locks at once, taken in id order. The
-- previous mark_submitted (20261202000100_pgpod_lean_hot_paths.sql, from which
-- this one starts) locked runs in the order of its submissions, so a webhook
-- batch that beat mark_submitted to one run while waiting for another could
-- deadlock with it. test/sql/run-lock-order.test.ts checks this.

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

  -- only rows with something to clear are written: this is the hot path
  update pgpod.endpoint_health h
     set refusals = 0, dispatch_after = null, problem = null, problem_at = null
   where h.endpoint in (select d.endpoint from jsonb_to_recordset(done) as d(endpoint text))
     and (h.refusals <> 0 or h.dispatch_after is not null or h.problem is not null);

  -- A webhook that beat this call already recorded the same RunPod job: fine.
  select coalesce(jsonb_agg(jsonb_build_object('run_id', s.run_id, 'runpod_job_id', s.runpod_job_id)), '[]')
    into stale
  from jsonb_to_recordset(submissions) as s(run_id bigint, attempt integer, runpod_job_id text)
  where not exists (select 1 from jsonb_to_recordset(done) as d(id bigint) where d.id = s.run_id)
    and not exists (select 1 from pgpod.runs r
                    where r.id = s.run_id and r.attempt = s.attempt and r.runpod_job_id = s.runpod_job_id);

  insert into pgpod.job_events (run_id, kind, detail)
  select s.run_id, 'late_submission', jsonb_build_object('runpod_job_id', s.runpod_job_id)
  from jsonb_to_recordset(stale) as s(run_id bigint, runpod_job_id text);

  return jsonb_build_object('submitted', jsonb_array_length(done), 'stale', stale);
end $$;
