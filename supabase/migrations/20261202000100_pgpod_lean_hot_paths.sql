-- Leaner hot paths with plans that statistics cannot flip.
--
-- A status predicate such as status = 'submitting' implies the predicate of
-- the partial index jobs_active_idx (endpoint, status). With stale statistics
-- (few active jobs when last analysed, many now) the planner then preferred a
-- whole scan of that index, filtering on id, over the primary key: about 110 ms
-- instead of 8 ms per call. Comparing status::text cannot be proven to imply
-- the index predicate, so these statements cannot use that index; the active
-- jobs lookup goes by primary key over the run's job_ids.
-- supabase/tests/complete_run/plan_bound.test.sql checks that jobs_active_idx
-- is not scanned.

-- complete_run as before, with two statements on runs instead of three (the
-- delivery count is written by the status update, or alone for an anomaly)
-- and the active jobs read by primary key.
create or replace function pgpod.complete_run(run_id bigint, attempt integer, runpod_result jsonb, files jsonb default '[]')
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
  recorded_deliveries constant integer := 10;
begin
  select * into r from pgpod.runs x where x.id = complete_run.run_id for update;
  if not found then
    perform pgpod.record_event(null, complete_run.run_id, 'unknown_run', jsonb_build_object('status', st));
    return jsonb_build_object('applied', false, 'outcome', 'unknown_run', 'job_ids', '[]'::jsonb);
  end if;

  anomaly := case
    when r.attempt <> complete_run.attempt then 'stale_attempt'
    when r.status not in ('submitting', 'IN_QUEUE', 'IN_PROGRESS') then
      case when r.status = st then 'duplicate' else 'late' end
    when rp_id is not null and r.runpod_job_id is not null and rp_id <> r.runpod_job_id then 'duplicate_submission'
    when st is null or st not in ('IN_QUEUE', 'IN_PROGRESS', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT')
      then 'unknown_status'
  end;
  if anomaly is not null then
    update pgpod.runs x set webhook_count = x.webhook_count + 1 where x.id = r.id;
    -- A leaked webhook URL can be replayed without end: runs.webhook_count
    -- counts every delivery, the audit keeps the first ten.
    if r.webhook_count < recorded_deliveries then
      perform pgpod.record_event(r.job_ids, r.id, anomaly, jsonb_strip_nulls(jsonb_build_object(
        'status', st, 'runpod_job_id', rp_id, 'attempt', complete_run.attempt, 'run_status', r.status)));
    end if;
    return jsonb_build_object('applied', false, 'outcome', anomaly, 'job_ids', to_jsonb(r.job_ids));
  end if;

  -- By primary key over the run's own jobs; status::text keeps the planner off
  -- jobs_active_idx (see the header).
  select coalesce(array_agg(j.id order by j.id), '{}') into active
  from pgpod.jobs j
  where j.id = any(r.job_ids) and j.run_id = r.id and j.status::text in ('submitting', 'submitted', 'running');

  -- The webhook can beat mark_submitted; its body proves the submission.
  if r.status = 'submitting' then
    perform pgmq.archive(queue_name => e.queue_name::text, msg_ids => r.msg_ids)
    from pgpod.endpoints e where e.name = r.endpoint;
  end if;
  update pgpod.runs x
     set webhook_count = x.webhook_count + 1,
         status = case when st in ('IN_QUEUE', 'IN_PROGRESS', 'RUNNING') and x.status = 'IN_PROGRESS' then x.status
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
       and (j.status::text = 'submitting' or (j.status::text = 'submitted' and st <> 'IN_QUEUE'));
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

-- mark_submitted as before, its jobs update kept off jobs_active_idx.
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
  ), runs_done as (
    update pgpod.runs r
       set status = 'IN_QUEUE', runpod_job_id = s.runpod_job_id, submitted_at = now()
      from s
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

-- run_on_complete as before, returning before its join over the finished jobs
-- when no endpoint has a hook, the usual case, which the endpoints table
-- (a handful of rows) answers at once.
create or replace function pgpod.run_on_complete(job_ids uuid[])
returns void
language plpgsql set search_path = '' as $$
declare
  item record;
begin
  if coalesce(cardinality(job_ids), 0) = 0
     or not exists (select 1 from pgpod.endpoints e where e.on_complete is not null) then
    return;
  end if;
  for item in
    select e.on_complete as hook, j as job
    from pgpod.jobs j join pgpod.endpoints e on e.name = j.endpoint
    where j.id = any(job_ids) and e.on_complete is not null
    order by j.id
  loop
    begin
      execute format('select %s($1)', to_regprocedure(item.hook || '(pgpod.jobs)')::regproc) using item.job;
    exception when others then
      insert into pgpod.job_events (job_id, run_id, kind, detail)
      values ((item.job).id, (item.job).run_id, 'on_complete_failed',
              jsonb_build_object('hook', item.hook, 'sqlstate', sqlstate, 'error', sqlerrm));
    end;
  end loop;
end $$;
