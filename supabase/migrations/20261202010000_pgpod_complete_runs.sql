-- Set-based completion: complete_runs records many RunPod results in one call
-- with the rules complete_run had, and complete_run becomes one delivery of
-- it. One call for a batch of deliveries costs a few statements in all
-- instead of a few statements per delivery.

-- settle_failures as before, with two changes: a failure may name its own run
-- ({job_id, error, run_id}), so one call settles the failures of many runs;
-- and the status check compares text, so stale statistics cannot lead the
-- planner over jobs_active_idx (see 20261202000100_pgpod_lean_hot_paths.sql).
create or replace function pgpod.settle_failures(failures jsonb, permanent boolean, min_delay_s integer, run_id bigint)
returns jsonb
language plpgsql set search_path = '' as $$
declare
  plan jsonb;
begin
  -- the common case on the hot path: a run where nothing failed
  if coalesce(jsonb_array_length(failures), 0) = 0 then
    return '{"requeued": [], "failed": [], "cancelled": []}';
  end if;
  with f as (
    select x.job_id, x.error, coalesce(x.run_id, settle_failures.run_id) as run_id
    from jsonb_to_recordset(failures) as x(job_id uuid, error text, run_id bigint)
  ), locked as (
    select j.id, j.endpoint, j.attempt, j.max_attempts, j.cancel_requested_at, f.error, f.run_id
    from pgpod.jobs j join f on f.job_id = j.id
    where j.status::text in ('submitting', 'submitted', 'running')
    order by j.id
    for update of j
  ), decided as (
    select l.id, l.endpoint, l.error, l.attempt, l.run_id,
           case when l.cancel_requested_at is not null then 'cancelled'
                when permanent or l.attempt >= l.max_attempts then 'failed'
                else 'queued' end as next_status,
           greatest(coalesce(min_delay_s, 0),
                    pgpod.backoff_s(l.attempt, e.backoff_base_s, e.backoff_max_s, random())) as delay_s
    from locked l join pgpod.endpoints e on e.name = l.endpoint
  ), updated as (
    update pgpod.jobs j
       set status = d.next_status::pgpod.job_status,
           error = d.error,
           run_after = case when d.next_status = 'queued' then now() + make_interval(secs => d.delay_s) end,
           finished_at = case when d.next_status <> 'queued' then now() end,
           updated_at = now()
      from decided d
     where j.id = d.id
    returning d.*
  )
  select coalesce(jsonb_agg(to_jsonb(u)), '[]') into plan from updated u;

  perform pgmq.send(queue_name => e.queue_name::text, msg => jsonb_build_object('job_id', p.id), delay => p.delay_s)
  from jsonb_to_recordset(plan) as p(id uuid, endpoint text, delay_s integer, next_status text)
  join pgpod.endpoints e on e.name = p.endpoint
  where p.next_status = 'queued';

  insert into pgpod.job_events (job_id, run_id, kind, detail)
  select p.id, p.run_id,
         case p.next_status when 'queued' then 'retry_scheduled' else p.next_status end,
         jsonb_strip_nulls(jsonb_build_object(
           'attempt', p.attempt, 'error', p.error,
           'delay_s', case when p.next_status = 'queued' then p.delay_s end))
  from jsonb_to_recordset(plan) as p(id uuid, run_id bigint, attempt integer, error text, delay_s integer, next_status text);

  perform pgpod.run_on_complete(array(
    select p.id from jsonb_to_recordset(plan) as p(id uuid, next_status text) where p.next_status <> 'queued'));

  return jsonb_build_object(
    'requeued', coalesce((select jsonb_agg(p.id) from jsonb_to_recordset(plan) as p(id uuid, next_status text) where p.next_status = 'queued'), '[]'),
    'failed', coalesce((select jsonb_agg(p.id) from jsonb_to_recordset(plan) as p(id uuid, next_status text) where p.next_status = 'failed'), '[]'),
    'cancelled', coalesce((select jsonb_agg(p.id) from jsonb_to_recordset(plan) as p(id uuid, next_status text) where p.next_status = 'cancelled'), '[]'));
end $$;

-- complete_runs(deliveries): deliveries is a JSON array of
-- {run_id, attempt, result, files}, each what complete_run took (result is
-- RunPod's /status body, files the stored output files). Returns a JSON array
-- with one {applied, outcome, job_ids} per delivery, in the same order.
--
-- Each pass records at most one delivery per run, every delivery of the pass
-- in a few set statements. A run named again in the same batch (a repeated
-- webhook) is recorded by the next pass, after the first one's changes, so a
-- batch gives the answers the same deliveries would get one by one. Nearly
-- every batch is one pass.
create function pgpod.complete_runs(deliveries jsonb)
returns jsonb
language plpgsql security definer set search_path = ''
-- Every estimate here is the same whatever the batch (set-returning functions
-- over jsonb), so a custom plan per call would only add planning time.
set plan_cache_mode = force_generic_plan as $$
declare
  recorded_deliveries constant integer := 10;
  passes integer;
  this_pass integer;
  items jsonb;
  must_archive boolean;
  failures jsonb;
  finished uuid[];
  answers jsonb;
  summaries jsonb := '{}';
begin
  if jsonb_typeof(deliveries) is distinct from 'array' then
    raise exception 'pgpod.complete_runs: deliveries must be a JSON array of {run_id, attempt, result, files}, not %',
      coalesce(jsonb_typeof(deliveries), 'null') using errcode = '22023';
  end if;
  -- one delivery, complete_run's case, needs no count
  if jsonb_array_length(deliveries) <= 1 then
    passes := jsonb_array_length(deliveries);
  else
    select max(n)::integer into passes
    from (select count(*) as n from jsonb_array_elements(deliveries) d group by (d ->> 'run_id')::bigint) x;
  end if;

  for this_pass in 1 .. coalesce(passes, 0) loop
    -- Lock, classify and count this pass's deliveries in one statement. The
    -- runs are locked in id order before any job is touched, so batches over
    -- the same runs in any order cannot deadlock. The active jobs are read by
    -- primary key (status::text keeps the planner off jobs_active_idx) in the
    -- statement's snapshot: only a transaction holding the run's lock moves a
    -- run's jobs out of the active states, and it ends the run too, which the
    -- locked row (its newest version) shows.
    with d as (
      select e.ord::integer as ord, (e.x ->> 'run_id')::bigint as run_id, (e.x ->> 'attempt')::integer as attempt,
             e.x -> 'result' ->> 'status' as st, e.x -> 'result' ->> 'id' as rp_id,
             e.x -> 'result' ->> 'delayTime' as delay_time, e.x -> 'result' ->> 'executionTime' as execution_time
      from jsonb_array_elements(deliveries) with ordinality as e(x, ord)
    ), cur as (
      select d.* from (select d.*, row_number() over (partition by d.run_id order by d.ord) as occurrence from d) d
      where d.occurrence = this_pass
    ), r as materialized (
      select x.* from pgpod.runs x
      where x.id = any(array(select cur.run_id from cur))
      order by x.id
      for update
    ), c as materialized (
      select cur.*, r.id is not null as found, r.status as run_status, r.job_ids, r.msg_ids, r.endpoint, r.grouped,
             r.webhook_count,
             case
               when r.id is null then 'unknown_run'
               when r.attempt <> cur.attempt then 'stale_attempt'
               when r.status not in ('submitting', 'IN_QUEUE', 'IN_PROGRESS') then
                 case when r.status = cur.st then 'duplicate' else 'late' end
               when cur.rp_id is not null and r.runpod_job_id is not null and cur.rp_id <> r.runpod_job_id then 'duplicate_submission'
               when cur.st is null or cur.st not in ('IN_QUEUE', 'IN_PROGRESS', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT')
                 then 'unknown_status'
             end as anomaly
      from cur left join r on r.id = cur.run_id
    ), noted as (
      -- A leaked webhook URL can be replayed without end: runs.webhook_count
      -- counts every delivery, the audit keeps the first ten of a run.
      insert into pgpod.job_events (job_id, run_id, kind, detail)
      select null, c.run_id, 'unknown_run', jsonb_build_object('status', c.st)
      from c where not c.found
      union all
      select j, c.run_id, c.anomaly, jsonb_strip_nulls(jsonb_build_object(
               'status', c.st, 'runpod_job_id', c.rp_id, 'attempt', c.attempt, 'run_status', c.run_status))
      from c cross join lateral unnest(c.job_ids) as j
      where c.found and c.anomaly is not null and c.webhook_count < recorded_deliveries
    ), counted as (
      -- One write per run: the delivery count, and the new state when it applies.
      update pgpod.runs x
         set webhook_count = x.webhook_count + 1,
             status = case when c.anomaly is not null then x.status
                           when c.st in ('IN_QUEUE', 'IN_PROGRESS', 'RUNNING') and x.status = 'IN_PROGRESS' then x.status
                           when c.st = 'RUNNING' then 'IN_PROGRESS' else c.st end,
             runpod_job_id = case when c.anomaly is not null then x.runpod_job_id else coalesce(x.runpod_job_id, c.rp_id) end,
             submitted_at = case when c.anomaly is not null then x.submitted_at else coalesce(x.submitted_at, now()) end,
             -- RunPod sends whole milliseconds; a fractional value must not make the delivery unappliable
             delay_ms = case when c.anomaly is not null then x.delay_ms
                             else coalesce(round(c.delay_time::numeric)::bigint, x.delay_ms) end,
             execution_ms = case when c.anomaly is not null then x.execution_ms
                                 else coalesce(round(c.execution_time::numeric)::bigint, x.execution_ms) end,
             last_polled_at = case when c.anomaly is not null then x.last_polled_at else now() end,
             finished_at = case when c.anomaly is not null then x.finished_at
                                when c.st in ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT') then now() end
        from c
       where x.id = c.run_id and c.found
    )
    select jsonb_agg(jsonb_build_object(
             'ord', c.ord, 'run_id', c.run_id, 'st', c.st, 'anomaly', c.anomaly, 'grouped', c.grouped,
             'job_ids', c.job_ids, 'active', a.active, 'run_status', c.run_status, 'endpoint', c.endpoint,
             'msg_ids', c.msg_ids)),
           coalesce(bool_or(c.anomaly is null and c.run_status = 'submitting'), false)
      into items, must_archive
    from c
    left join lateral (
      select coalesce(array_agg(j.id order by j.id), '{}') as active
      from pgpod.jobs j
      where c.anomaly is null and j.id = any(c.job_ids) and j.run_id = c.run_id
        and j.status::text in ('submitting', 'submitted', 'running')
    ) a on true;

    -- The webhook can beat mark_submitted; its body proves the submission.
    if must_archive then
      perform pgmq.archive(queue_name => e.queue_name::text, msg_ids => m.msg_ids)
      from (
        select i.endpoint, array_agg(mid) as msg_ids
        from jsonb_to_recordset(items) as i(endpoint text, msg_ids bigint[], anomaly text, run_status text),
             unnest(i.msg_ids) mid
        where i.anomaly is null and i.run_status = 'submitting'
        group by i.endpoint
      ) m
      join pgpod.endpoints e on e.name = m.endpoint;
    end if;

    -- Every active job of an applied delivery gets its outcome, and all of
    -- them are written in one jobs update: progress, cancelled, succeeded.
    -- Failures go to settle_failures below (retry or fail).
    with i as (
      select i.*, deliveries -> (i.ord - 1) -> 'result' as res, deliveries -> (i.ord - 1) -> 'files' as files
      from jsonb_to_recordset(items) as i(ord integer, run_id bigint, st text, anomaly text, grouped boolean,
                                          job_ids uuid[], active uuid[])
    ), o as materialized (
      select i.ord, i.run_id, i.st, a.job_id, m.output, m.error,
             case when i.st in ('IN_QUEUE', 'IN_PROGRESS', 'RUNNING') then 'progress'
                  when i.st = 'CANCELLED' then 'cancelled'
                  when m.error is not null then 'failure'
                  else 'succeeded' end as kind
      from i
      cross join lateral unnest(i.active) as a(job_id)
      -- COMPLETED: the job's entry of a grouped output, or the whole result
      cross join lateral (
        select case when i.st <> 'COMPLETED' then null
                    when not i.grouped then i.res
                    else (select y from jsonb_array_elements(
                            case when jsonb_typeof(i.res -> 'output' -> 'results') = 'array'
                                 then i.res -> 'output' -> 'results' else '[]' end) y
                          where y ->> 'job_id' = a.job_id::text
                          limit 1) end as entry
      ) x
      -- the error RunPod reported, or in grouped mode the job's own error
      cross join lateral (
        select case when i.st in ('FAILED', 'TIMED_OUT') then i.res -> 'error'
                    when i.st = 'COMPLETED' and i.grouped and x.entry -> 'error' <> 'null' then x.entry -> 'error' end as v
      ) reported
      cross join lateral (
        select case jsonb_typeof(reported.v) when 'string' then reported.v #>> '{}' else reported.v::text end as text
      ) t
      cross join lateral (
        select x.entry -> 'output' as output,
               case when i.st in ('FAILED', 'TIMED_OUT') then coalesce(t.text, lower(i.st))
                    when i.st <> 'COMPLETED' then null
                    when x.entry is null then 'missing_result'
                    when t.text is not null then t.text
                    when x.entry -> 'output' is null or x.entry -> 'output' = 'null' then 'empty_output' end as error
      ) m
      where i.anomaly is null
    ), changed as (
      update pgpod.jobs j
         set status = case o.kind when 'progress' then case when o.st = 'IN_QUEUE' then 'submitted' else 'running' end
                                  else o.kind end::pgpod.job_status,
             output = case when o.kind = 'succeeded' then o.output else j.output end,
             error = case o.kind when 'cancelled' then 'cancelled on RunPod' when 'succeeded' then null else j.error end,
             finished_at = case when o.kind = 'progress' then j.finished_at else now() end,
             started_at = case when o.kind = 'cancelled' or (o.kind = 'progress' and o.st = 'IN_QUEUE') then j.started_at
                               else coalesce(j.started_at, now()) end,
             submitted_at = case when o.kind = 'cancelled' then j.submitted_at else coalesce(j.submitted_at, now()) end,
             updated_at = now()
        from o
       where j.id = o.job_id and o.kind <> 'failure'
         and (o.kind <> 'progress' or j.status::text = 'submitting' or (j.status::text = 'submitted' and o.st <> 'IN_QUEUE'))
      returning j.id, j.owner_id, o.ord, o.kind
    ), stored as (
      insert into pgpod.job_files (job_id, index, owner_id, filename, bucket, path, content_type, size, sha256)
      select f.job_id, f.index, ok.owner_id, f.filename, f.bucket, f.path, f.content_type, f.size, f.sha256
      from i
      cross join lateral jsonb_to_recordset(coalesce(nullif(i.files, 'null'), '[]')) as f(
        job_id uuid, index integer, filename text, bucket text, path text, content_type text, size bigint, sha256 text)
      join changed ok on ok.id = f.job_id and ok.ord = i.ord and ok.kind = 'succeeded'
      on conflict (job_id, index) do update
        set filename = excluded.filename, bucket = excluded.bucket, path = excluded.path,
            content_type = excluded.content_type, size = excluded.size, sha256 = excluded.sha256,
            created_at = now()
    ), noted as (
      insert into pgpod.job_events (job_id, run_id, kind, detail)
      select o.job_id, o.run_id, 'cancelled', '{}' from o where o.kind = 'cancelled'
    ), tally as (
      select o.ord, count(*) filter (where o.kind = 'failure') as failed, count(*) filter (where o.kind = 'succeeded') as ok
      from o group by o.ord
    )
    select (select jsonb_agg(jsonb_build_object('job_id', o.job_id, 'error', o.error, 'run_id', o.run_id))
              from o where o.kind = 'failure'),
           (select array_agg(ch.id) from changed ch where ch.kind <> 'progress'),
           (select jsonb_object_agg(i.ord, jsonb_build_object(
                     'applied', i.anomaly is null,
                     'outcome', case when i.anomaly is not null then i.anomaly
                                     when i.st in ('IN_QUEUE', 'IN_PROGRESS', 'RUNNING') then 'progress'
                                     when i.st <> 'COMPLETED' then lower(i.st)
                                     when coalesce(k.failed, 0) = 0 then 'succeeded'
                                     when coalesce(k.ok, 0) = 0 then 'failed'
                                     else 'partial' end,
                     'job_ids', case when i.anomaly is null then to_jsonb(i.active)
                                     else coalesce(to_jsonb(i.job_ids), '[]') end))
              from i left join tally k on k.ord = i.ord)
      into failures, finished, answers;

    if failures is not null then
      perform pgpod.settle_failures(failures, false, 0, null);
    end if;
    if finished is not null then
      perform pgpod.run_on_complete(finished);
    end if;
    summaries := summaries || answers;
  end loop;

  -- summaries holds one answer per delivery, keyed by its position
  return (select coalesce(jsonb_agg(a.value order by a.key::integer), '[]') from jsonb_each(summaries) a);
end $$;

-- One delivery of complete_runs: a single code path for one result and many.
-- plpgsql rather than sql so the call's plan is kept for the session.
create or replace function pgpod.complete_run(run_id bigint, attempt integer, runpod_result jsonb, files jsonb default '[]')
returns jsonb
language plpgsql security definer set search_path = '' as $$
begin
  return pgpod.complete_runs(jsonb_build_array(jsonb_build_object(
    'run_id', complete_run.run_id, 'attempt', complete_run.attempt, 'result', complete_run.runpod_result,
    'files', complete_run.files))) -> 0;
end $$;

revoke all on function pgpod.complete_runs(jsonb) from public, anon, authenticated;
grant execute on function pgpod.complete_runs(jsonb) to service_role;
