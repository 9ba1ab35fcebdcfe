-- Completion, reconciliation, cancel and retry.

-- Applies a RunPod /status or webhook body to a run. Exactly-once: only a run
-- still in flight, with the same attempt and RunPod job, changes; anything
-- else is recorded in job_events and reported with applied = false, so the
-- webhook can answer 200. files: [{job_id, index, filename, bucket, path,
-- content_type, size, sha256}] already stored by the caller, whose output JSON
-- references them instead of carrying bytes.
create function pgpod.complete_run(run_id bigint, attempt integer, runpod_result jsonb, files jsonb default '[]')
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  r pgpod.runs;
  st text := runpod_result ->> 'status';
  rp_id text := runpod_result ->> 'id';
  active uuid[];
  results jsonb;
  failures jsonb;
  succeeded uuid[];
  anomaly text;
begin
  select * into r from pgpod.runs x where x.id = complete_run.run_id for update;
  if not found then
    perform pgpod.record_event(null, complete_run.run_id, 'unknown_run', jsonb_build_object('status', st));
    return jsonb_build_object('applied', false, 'outcome', 'unknown_run', 'job_ids', '[]'::jsonb);
  end if;
  update pgpod.runs x set webhook_count = x.webhook_count + 1 where x.id = r.id;

  anomaly := case
    when r.attempt <> complete_run.attempt then 'stale_attempt'
    when r.status not in ('submitting', 'IN_QUEUE', 'IN_PROGRESS') then
      case when r.status = st then 'duplicate' else 'late' end
    when rp_id is not null and r.runpod_job_id is not null and rp_id <> r.runpod_job_id then 'duplicate_submission'
    when st is null or st not in ('IN_QUEUE', 'IN_PROGRESS', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT')
      then 'unknown_status'
  end;
  if anomaly is not null then
    perform pgpod.record_event(r.job_ids, r.id, anomaly, jsonb_strip_nulls(jsonb_build_object(
      'status', st, 'runpod_job_id', rp_id, 'attempt', complete_run.attempt, 'run_status', r.status)));
    return jsonb_build_object('applied', false, 'outcome', anomaly, 'job_ids', to_jsonb(r.job_ids));
  end if;

  select coalesce(array_agg(j.id order by j.id), '{}') into active
  from pgpod.jobs j
  where j.run_id = r.id and j.status in ('submitting', 'submitted', 'running');

  -- The webhook can beat mark_submitted; its body proves the submission.
  if r.status = 'submitting' then
    perform pgmq.archive(queue_name => e.queue_name::text, msg_ids => r.msg_ids)
    from pgpod.endpoints e where e.name = r.endpoint;
  end if;
  update pgpod.runs x
     set status = case when st in ('IN_QUEUE', 'IN_PROGRESS', 'RUNNING') and x.status = 'IN_PROGRESS' then x.status
                       when st = 'RUNNING' then 'IN_PROGRESS' else st end,
         runpod_job_id = coalesce(x.runpod_job_id, rp_id),
         submitted_at = coalesce(x.submitted_at, now()),
         -- RunPod sends whole milliseconds; a fractional value must not make the delivery unappliable
         delay_ms = coalesce(round((runpod_result ->> 'delayTime')::numeric)::bigint, x.delay_ms),
         execution_ms = coalesce(round((runpod_result ->> 'executionTime')::numeric)::bigint, x.execution_ms),
         last_polled_at = now(),
         finished_at = case when st in ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT') then now() end
   where x.id = r.id;

  if st in ('IN_QUEUE', 'IN_PROGRESS', 'RUNNING') then
    update pgpod.jobs j
       set status = case when st = 'IN_QUEUE' then 'submitted' else 'running' end::pgpod.job_status,
           submitted_at = coalesce(j.submitted_at, now()),
           started_at = case when st = 'IN_QUEUE' then j.started_at else coalesce(j.started_at, now()) end,
           updated_at = now()
     where j.id = any(active)
       and (j.status = 'submitting' or (j.status = 'submitted' and st <> 'IN_QUEUE'));
    return jsonb_build_object('applied', true, 'outcome', 'progress', 'job_ids', to_jsonb(active));
  end if;

  if st = 'CANCELLED' then
    update pgpod.jobs j
       set status = 'cancelled', finished_at = now(), updated_at = now(), error = 'cancelled on RunPod'
     where j.id = any(active);
    perform pgpod.record_event(active, r.id, 'cancelled', '{}');
    perform pgpod.run_on_complete(active);
    return jsonb_build_object('applied', true, 'outcome', 'cancelled', 'job_ids', to_jsonb(active));
  end if;

  if st in ('FAILED', 'TIMED_OUT') then
    failures := (select jsonb_agg(jsonb_build_object('job_id', a, 'error', coalesce(
                   case jsonb_typeof(runpod_result -> 'error') when 'string' then runpod_result ->> 'error'
                        else (runpod_result -> 'error')::text end,
                   lower(st))))
                 from unnest(active) a);
    perform pgpod.settle_failures(failures, false, 0, r.id);
    return jsonb_build_object('applied', true, 'outcome', lower(st), 'job_ids', to_jsonb(active));
  end if;

  -- COMPLETED: one result per job. In grouped mode a job's own error fails only that job.
  if r.grouped then
    select jsonb_agg(jsonb_build_object(
             'job_id', a,
             'output', res -> 'output',
             'error', case when res is null then 'missing_result'
                           when res ? 'error' and res -> 'error' <> 'null' then
                             case jsonb_typeof(res -> 'error') when 'string' then res ->> 'error' else (res -> 'error')::text end
                           when res -> 'output' is null or res -> 'output' = 'null' then 'empty_output' end))
      into results
    from unnest(active) a
    left join lateral (
      select x from jsonb_array_elements(
        case when jsonb_typeof(runpod_result -> 'output' -> 'results') = 'array'
             then runpod_result -> 'output' -> 'results' else '[]' end) x
      where x ->> 'job_id' = a::text
      limit 1
    ) m(res) on true;
  else
    select jsonb_agg(jsonb_build_object(
             'job_id', a,
             'output', runpod_result -> 'output',
             'error', case when runpod_result -> 'output' is null or runpod_result -> 'output' = 'null'
                           then 'empty_output' end))
      into results
    from unnest(active) a;
  end if;

  with ok as (
    update pgpod.jobs j
       set status = 'succeeded', output = x.output, error = null, finished_at = now(),
           started_at = coalesce(j.started_at, now()), submitted_at = coalesce(j.submitted_at, now()),
           updated_at = now()
      from jsonb_to_recordset(results) as x(job_id uuid, output jsonb, error text)
     where j.id = x.job_id and x.error is null
    returning j.id, j.owner_id
  ), stored as (
    insert into pgpod.job_files (job_id, index, owner_id, filename, bucket, path, content_type, size, sha256)
    select f.job_id, f.index, ok.owner_id, f.filename, f.bucket, f.path, f.content_type, f.size, f.sha256
    from jsonb_to_recordset(coalesce(files, '[]')) as f(job_id uuid, index integer, filename text, bucket text,
                                                        path text, content_type text, size bigint, sha256 text)
    join ok on ok.id = f.job_id
    on conflict (job_id, index) do update
      set filename = excluded.filename, bucket = excluded.bucket, path = excluded.path,
          content_type = excluded.content_type, size = excluded.size, sha256 = excluded.sha256,
          created_at = now()
  )
  select array_agg(ok.id) into succeeded from ok;

  failures := (select jsonb_agg(x) from jsonb_array_elements(results) x where x ->> 'error' is not null);
  perform pgpod.settle_failures(failures, false, 0, r.id);
  perform pgpod.run_on_complete(succeeded);
  return jsonb_build_object(
    'applied', true,
    'outcome', case when failures is null then 'succeeded'
                    when succeeded is null then 'failed' else 'partial' end,
    'job_ids', to_jsonb(active));
end $$;

-- What the dispatcher must check on RunPod: runs not heard from for
-- settings.poll_after_s (action 'poll': GET /status, then complete_run with
-- the body) and runs whose every job asked to be cancelled (action 'cancel':
-- POST /cancel, then complete_run with the body). Rows are handed out once per
-- poll interval, so concurrent dispatchers do not repeat each other.
-- Runs left in 'submitting' past the visibility timeout (the dispatcher died
-- between claim and mark_submitted) are put back in the queue here; a RunPod
-- job it may have created is recognised later as a stale delivery.
create function pgpod.runs_to_reconcile(max_runs integer default 100)
returns table (
  run_id bigint,
  attempt integer,
  endpoint text,
  runpod_endpoint_id text,
  api_base text,
  runpod_job_id text,
  action text
)
language plpgsql security definer set search_path = '' as $$
#variable_conflict use_column
declare
  s pgpod.settings;
  lost record;
begin
  select * into s from pgpod.settings;

  for lost in
    select r.id, r.endpoint, r.msg_ids from pgpod.runs r
    where r.status = 'submitting' and r.claimed_at < now() - make_interval(secs => s.claim_vt_s)
    order by r.claimed_at
    limit max_runs
    for update skip locked
  loop
    update pgpod.runs r set status = 'abandoned', error = 'dispatcher_lost', finished_at = now()
     where r.id = lost.id;
    perform pgmq.delete(queue_name => e.queue_name::text, msg_ids => lost.msg_ids)
    from pgpod.endpoints e where e.name = lost.endpoint;
    perform pgpod.record_event(null, lost.id, 'requeued_lost_dispatch', '{}');
    perform pgpod.settle_failures(
      (select jsonb_agg(jsonb_build_object('job_id', j.id, 'error', 'dispatcher_lost'))
       from pgpod.jobs j where j.run_id = lost.id),
      false, 0, lost.id);
  end loop;

  return query
  with cancel_wanted as (
    select j.run_id from pgpod.jobs j
    where j.cancel_requested_at is not null and j.status in ('submitting', 'submitted', 'running')
    group by j.run_id
    having not exists (
      select 1 from pgpod.jobs o
      where o.run_id = j.run_id and o.status in ('submitting', 'submitted', 'running') and o.cancel_requested_at is null)
  ), due as (
    select r.id, (c.run_id is not null) as cancel
    from pgpod.runs r
    left join cancel_wanted c on c.run_id = r.id
    where r.status in ('IN_QUEUE', 'IN_PROGRESS')
      and ((c.run_id is not null and (r.cancel_sent_at is null
                                       or r.cancel_sent_at < now() - make_interval(secs => s.poll_after_s)))
           or coalesce(r.last_polled_at, r.submitted_at) < now() - make_interval(secs => s.poll_after_s))
    order by coalesce(r.last_polled_at, r.submitted_at)
    limit max_runs
    for update of r skip locked
  ), touched as (
    update pgpod.runs r
       set last_polled_at = case when d.cancel then r.last_polled_at else now() end,
           cancel_sent_at = case when d.cancel then now() else r.cancel_sent_at end
      from due d
     where r.id = d.id
    returning r.id, r.attempt, r.endpoint, r.runpod_job_id, d.cancel
  )
  select t.id, t.attempt, t.endpoint, e.runpod_endpoint_id, e.api_base, t.runpod_job_id,
         case when t.cancel then 'cancel' else 'poll' end
  from touched t join pgpod.endpoints e on e.name = t.endpoint
  order by t.id;
end $$;

-- The caller may act on a job when it owns it, or when it is a trusted role
-- (service_role or a direct database session, which carry no user id).
create function pgpod.find_own_job(job_id uuid)
returns pgpod.jobs
language plpgsql set search_path = '' as $$
declare
  job pgpod.jobs;
begin
  select * into job from pgpod.jobs j
  where j.id = find_own_job.job_id
    and (j.owner_id = auth.uid()
         or (auth.uid() is null and coalesce(auth.role(), '') not in ('anon', 'authenticated')))
  for update;
  if not found then
    raise exception 'pgpod: job % not found', job_id using errcode = 'P0002';
  end if;
  return job;
end $$;

-- Queued jobs end at once; in-flight ones get a cancel request that the
-- dispatcher forwards to RunPod. Finished jobs are returned unchanged.
create function pgpod.cancel(job_id uuid)
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
  end if;
  return job;
end $$;

-- Failed or cancelled jobs go back to the queue with a fresh attempt budget.
create function pgpod.retry(job_id uuid)
returns pgpod.jobs
language plpgsql security definer set search_path = '' as $$
declare
  job pgpod.jobs := pgpod.find_own_job(job_id);
begin
  if job.status not in ('failed', 'cancelled') then
    raise exception 'pgpod: job % is %, only failed or cancelled jobs can be retried', job.id, job.status
      using errcode = '55000';
  end if;
  update pgpod.jobs j
     set status = 'queued', attempt = 0, max_attempts = e.max_attempts, error = null, output = null,
         cancel_requested_at = null, run_after = null, submitted_at = null, started_at = null,
         finished_at = null, updated_at = now()
    from pgpod.endpoints e
   where j.id = job.id and e.name = j.endpoint
  returning j.* into job;
  perform pgmq.send(queue_name => e.queue_name::text, msg => jsonb_build_object('job_id', job.id), delay => 0)
  from pgpod.endpoints e where e.name = job.endpoint;
  perform pgpod.record_event(array[job.id], null, 'retried', '{}');
  perform pgpod.kick_dispatcher('retry');
  return job;
end $$;
