-- Dispatching: claim queued jobs into runs, record /run outcomes, and the
-- shared rules for ending an attempt. Lock order everywhere: runs, then jobs.

-- Exponential backoff with "equal jitter": half the capped delay is fixed, the
-- other half random, so retries spread out but never come back too early.
create function pgpod.backoff_s(attempt integer, base_s integer, max_s integer, jitter double precision)
returns integer
language sql immutable set search_path = '' as $$
  select ceil(least(max_s::double precision, base_s * power(2::double precision, greatest(attempt, 1) - 1))
              * (0.5 + 0.5 * least(greatest(jitter, 0), 1)))::integer
$$;

create function pgpod.record_event(job_ids uuid[], run_id bigint, kind text, detail jsonb default '{}')
returns void
language sql set search_path = '' as $$
  insert into pgpod.job_events (job_id, run_id, kind, detail)
  select j, run_id, kind, coalesce(detail, '{}') from unnest(coalesce(job_ids, array[null::uuid])) j
$$;

-- Runs each finished job's endpoint hook inside the caller's transaction, so
-- an app's own rows change atomically with the job. A hook that raises is
-- undone alone and recorded: letting it abort the completion would leave the
-- run in flight, to be polled and finally re-run on the GPU.
create function pgpod.run_on_complete(job_ids uuid[])
returns void
language plpgsql set search_path = '' as $$
declare
  item record;
begin
  if coalesce(cardinality(job_ids), 0) = 0 then
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

-- Ends an unsuccessful attempt for in-flight jobs: cancelled when a cancel was
-- requested, failed when permanent or out of attempts, otherwise back to the
-- queue after backoff (at least min_delay_s). failures: [{job_id, error}].
-- Returns {requeued, failed, cancelled} as arrays of job ids.
create function pgpod.settle_failures(failures jsonb, permanent boolean, min_delay_s integer, run_id bigint)
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
    select x.job_id, x.error from jsonb_to_recordset(failures) as x(job_id uuid, error text)
  ), locked as (
    select j.id, j.endpoint, j.attempt, j.max_attempts, j.cancel_requested_at, f.error
    from pgpod.jobs j join f on f.job_id = j.id
    where j.status in ('submitting', 'submitted', 'running')
    order by j.id
    for update of j
  ), decided as (
    select l.id, l.endpoint, l.error, l.attempt,
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
  select p.id, settle_failures.run_id,
         case p.next_status when 'queued' then 'retry_scheduled' else p.next_status end,
         jsonb_strip_nulls(jsonb_build_object(
           'attempt', p.attempt, 'error', p.error,
           'delay_s', case when p.next_status = 'queued' then p.delay_s end))
  from jsonb_to_recordset(plan) as p(id uuid, attempt integer, error text, delay_s integer, next_status text);

  perform pgpod.run_on_complete(array(
    select p.id from jsonb_to_recordset(plan) as p(id uuid, next_status text) where p.next_status <> 'queued'));

  return jsonb_build_object(
    'requeued', coalesce((select jsonb_agg(p.id) from jsonb_to_recordset(plan) as p(id uuid, next_status text) where p.next_status = 'queued'), '[]'),
    'failed', coalesce((select jsonb_agg(p.id) from jsonb_to_recordset(plan) as p(id uuid, next_status text) where p.next_status = 'failed'), '[]'),
    'cancelled', coalesce((select jsonb_agg(p.id) from jsonb_to_recordset(plan) as p(id uuid, next_status text) where p.next_status = 'cancelled'), '[]'));
end $$;

-- Where a job's output files live inside its endpoint's bucket. The folder
-- starts with the owner's id so storage policies can match it; jobs submitted
-- by the service itself (no owner) share the 'service' folder.
create function pgpod.storage_prefix(owner_id uuid, endpoint text, job_id uuid)
returns text
language sql immutable set search_path = '' as $$
  select coalesce(owner_id::text, 'service') || '/' || endpoint || '/' || job_id || '/'
$$;

-- Claims up to max_runs runs of queued jobs for one endpoint and marks the
-- jobs 'submitting'. Each claim starts a new attempt of its jobs. Messages are
-- hidden for settings.claim_vt_s; mark_submitted retires them.
create function pgpod.claim_runs(endpoint text, max_runs integer default 10)
returns table (
  run_id bigint,
  attempt integer,
  endpoint_name text,
  runpod_endpoint_id text,
  api_base text,
  execution_timeout_ms integer,
  ttl_ms integer,
  low_priority boolean,
  direct_upload boolean,
  output_bucket text,
  signed_url_ttl_s integer,
  grouped boolean,
  jobs jsonb,
  input jsonb
)
language plpgsql security definer set search_path = '' as $$
#variable_conflict use_column
declare
  e pgpod.endpoints;
  capacity integer := max_runs;
  msgs pgmq.message_record[];
  claim_ids uuid[];
  stale_ids bigint[];
begin
  select * into e from pgpod.endpoints x where x.name = claim_runs.endpoint;
  if not found then
    raise exception 'pgpod: unknown endpoint "%"', claim_runs.endpoint using errcode = '23503';
  end if;
  if e.paused or coalesce(max_runs, 0) < 1 then
    return;
  end if;
  if e.max_in_flight is not null then
    -- one claimer per capped endpoint at a time keeps the count exact; a
    -- claimer that finds another one busy leaves the work to it
    perform 1 from pgpod.endpoints x where x.name = e.name for no key update skip locked;
    if not found then
      return;
    end if;
    capacity := least(capacity, e.max_in_flight - (
      select count(*) from pgpod.runs r
      where r.endpoint = e.name and r.status in ('submitting', 'IN_QUEUE', 'IN_PROGRESS')));
    if capacity < 1 then
      return;
    end if;
  end if;

  select array_agg(m) into msgs
  from pgmq.read(queue_name => e.queue_name::text, vt => (select s.claim_vt_s from pgpod.settings s),
                 qty => capacity * e.batch_size) m;
  if msgs is null then
    return;
  end if;

  -- A job row locked by someone else (a cancel in progress) is skipped; its
  -- message stays hidden and comes back after the visibility timeout.
  select array_agg(j.id) into claim_ids
  from (
    select j.id from pgpod.jobs j
    where j.id = any(array(select (m.message ->> 'job_id')::uuid from unnest(msgs) m))
      and j.status = 'queued'
    for update skip locked
  ) j;

  -- Messages of jobs no longer queued (cancelled, finished, taken through a
  -- newer message) and repeated messages of one job are dropped for good.
  select array_agg(m.msg_id) into stale_ids
  from (
    select m.msg_id,
           row_number() over (partition by m.message ->> 'job_id' order by m.msg_id) as nth,
           exists (select 1 from pgpod.jobs j where j.id = (m.message ->> 'job_id')::uuid and j.status = 'queued') as live
    from unnest(msgs) m
  ) m
  where not m.live or m.nth > 1;
  if stale_ids is not null then
    perform pgmq.delete(queue_name => e.queue_name::text, msg_ids => stale_ids);
  end if;
  if claim_ids is null then
    return;
  end if;

  return query
  with claimed as (
    select j.id, j.input, j.owner_id, j.attempt + 1 as attempt, m.msg_id
    from pgpod.jobs j
    join (select (x.message ->> 'job_id')::uuid as job_id, min(x.msg_id) as msg_id
          from unnest(msgs) x group by 1) m on m.job_id = j.id
    where j.id = any(claim_ids)
  ), grouped as (
    select c.*, (row_number() over (order by c.msg_id) - 1) / e.batch_size as grp from claimed c
  ), new_runs as (
    insert into pgpod.runs (endpoint, attempt, grouped, job_ids, msg_ids)
    select e.name, max(g.attempt), e.batch_size > 1,
           array_agg(g.id order by g.msg_id), array_agg(g.msg_id order by g.msg_id)
    from grouped g
    group by g.grp
    returning id, attempt, job_ids
  ), started as (
    update pgpod.jobs j
       set status = 'submitting', run_id = r.id, attempt = j.attempt + 1, updated_at = now()
      from new_runs r
     where j.id = any(r.job_ids)
  )
  select r.id, r.attempt, e.name, e.runpod_endpoint_id, e.api_base, e.execution_timeout_ms, e.ttl_ms,
         e.low_priority, e.direct_upload, e.output_bucket, e.signed_url_ttl_s, e.batch_size > 1,
         (select jsonb_agg(jsonb_build_object(
                   'job_id', g.id, 'owner_id', g.owner_id,
                   'storage_prefix', pgpod.storage_prefix(g.owner_id, e.name, g.id))
                 order by g.msg_id)
            from grouped g where g.id = any(r.job_ids)),
         case when e.batch_size > 1
              then jsonb_build_object('jobs', (
                     select jsonb_agg(jsonb_build_object('job_id', g.id, 'input', g.input) order by g.msg_id)
                     from grouped g where g.id = any(r.job_ids)))
              else (select g.input from grouped g where g.id = r.job_ids[1]) end
  from new_runs r
  order by r.id;
end $$;

-- Records accepted /run calls: [{run_id, attempt, runpod_job_id}]. Runs no
-- longer waiting for this (requeued after a dispatcher crash) are returned as
-- 'stale' so the caller can cancel the RunPod job it created for nothing.
create function pgpod.mark_submitted(submissions jsonb)
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
       set status = 'submitted', submitted_at = now(), updated_at = now()
      from runs_done r
     where j.id = any(r.job_ids) and j.run_id = r.id and j.status = 'submitting'
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

-- Records failed /run calls: [{run_id, attempt, reason, retry_after_s?, permanent?}].
-- 429/5xx/timeouts requeue with backoff (never sooner than retry_after_s);
-- permanent (other 4xx) fails the jobs. Each claim counted as an attempt.
create function pgpod.release_run(releases jsonb)
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  rel record;
  outcome jsonb;
  totals jsonb := jsonb_build_object('released', 0, 'stale', 0, 'requeued', '[]'::jsonb,
                                     'failed', '[]'::jsonb, 'cancelled', '[]'::jsonb);
begin
  for rel in
    select x.run_id, x.attempt, coalesce(x.reason, 'submit_failed') as reason,
           coalesce(x.retry_after_s, 0) as retry_after_s, coalesce(x.permanent, false) as permanent
    from jsonb_to_recordset(releases) as x(run_id bigint, attempt integer, reason text, retry_after_s integer, permanent boolean)
    order by x.run_id
  loop
    update pgpod.runs r
       set status = 'released', error = rel.reason, finished_at = now()
     where r.id = rel.run_id and r.attempt = rel.attempt and r.status = 'submitting'
    returning jsonb_build_object('endpoint', r.endpoint, 'job_ids', to_jsonb(r.job_ids), 'msg_ids', to_jsonb(r.msg_ids))
      into outcome;
    if outcome is null then
      totals := jsonb_set(totals, '{stale}', to_jsonb((totals ->> 'stale')::integer + 1));
      perform pgpod.record_event(null, rel.run_id, 'stale_release', jsonb_build_object('reason', rel.reason));
      continue;
    end if;
    perform pgmq.delete(queue_name => e.queue_name::text,
                        msg_ids => array(select jsonb_array_elements_text(outcome -> 'msg_ids')::bigint))
    from pgpod.endpoints e where e.name = outcome ->> 'endpoint';
    outcome := pgpod.settle_failures(
      (select jsonb_agg(jsonb_build_object('job_id', j.id, 'error', rel.reason))
       from pgpod.jobs j where j.run_id = rel.run_id),
      rel.permanent, rel.retry_after_s, rel.run_id);
    totals := jsonb_build_object(
      'released', (totals ->> 'released')::integer + 1,
      'stale', totals -> 'stale',
      'requeued', (totals -> 'requeued') || (outcome -> 'requeued'),
      'failed', (totals -> 'failed') || (outcome -> 'failed'),
      'cancelled', (totals -> 'cancelled') || (outcome -> 'cancelled'));
  end loop;
  return totals;
end $$;

-- Endpoints worth a claim_runs call now: not paused, below max_in_flight and
-- with a visible message. Lets a dispatcher tick skip idle endpoints without
-- touching their queues' locks.
create function pgpod.dispatchable_endpoints()
returns setof text
language plpgsql stable security definer set search_path = '' as $$
declare
  e record;
  visible boolean;
begin
  for e in
    select x.name, x.queue_name, x.max_in_flight from pgpod.endpoints x
    where not x.paused
      and (x.max_in_flight is null or x.max_in_flight > (
             select count(*) from pgpod.runs r
             where r.endpoint = x.name and r.status in ('submitting', 'IN_QUEUE', 'IN_PROGRESS')))
    order by x.name
  loop
    -- pgmq's queue tables are q_<name> with a vt index (its documented layout).
    execute format('select exists (select 1 from pgmq.%I where vt <= clock_timestamp())', 'q_' || lower(e.queue_name))
      into visible;
    if visible then
      return next e.name;
    end if;
  end loop;
end $$;

-- What storing a delivery's files needs: the run's endpoint, bucket and each
-- job's folder. Null when complete_run would not apply the delivery (another
-- attempt, a finished run, another RunPod job), so a stale or repeated
-- delivery never writes over a finished job's files.
create function pgpod.run_context(run_id bigint, attempt integer, runpod_job_id text)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
           'run_id', r.id, 'attempt', r.attempt, 'endpoint', r.endpoint, 'bucket', e.output_bucket,
           'public_outputs', e.public_outputs, 'grouped', r.grouped,
           'jobs', (select jsonb_agg(jsonb_build_object('job_id', j.id,
                                                        'storage_prefix', pgpod.storage_prefix(j.owner_id, r.endpoint, j.id))
                                     order by array_position(r.job_ids, j.id))
                    from pgpod.jobs j where j.id = any(r.job_ids)))
  from pgpod.runs r
  join pgpod.endpoints e on e.name = r.endpoint
  where r.id = run_context.run_id and r.attempt = run_context.attempt
    and r.status in ('submitting', 'IN_QUEUE', 'IN_PROGRESS')
    and (r.runpod_job_id is null or r.runpod_job_id = run_context.runpod_job_id)
$$;
