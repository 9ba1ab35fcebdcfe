-- Endpoint isolation and refused submissions. One endpoint's trouble (its
-- queue missing, RunPod refusing or unreachable for it) is recorded for that
-- endpoint and backs only it off; the other endpoints dispatch as usual. A /run
-- that RunPod refuses (429, 5xx, network) is not an attempt: the jobs go back
-- to the queue, and only max_submit_failures refusals in a row fail a job.

alter table pgpod.endpoints
  add column max_submit_failures integer not null default 10 check (max_submit_failures between 1 and 1000);
-- /run refusals (5xx, network, timeout) of the job in a row; 429s do not count
alter table pgpod.jobs add column submit_failures integer not null default 0;

create table pgpod.endpoint_health (
  endpoint text primary key references pgpod.endpoints (name) on delete cascade,
  -- not dispatched before this: Retry-After of a 429, or backoff after refusals
  dispatch_after timestamptz,
  -- dispatcher rounds in a row whose /run RunPod refused; an accepted /run resets it
  refusals integer not null default 0 check (refusals >= 0),
  problem text,
  problem_at timestamptz
);
alter table pgpod.endpoint_health enable row level security;
revoke all on pgpod.endpoint_health from public, anon, authenticated;
grant select, insert, update, delete on pgpod.endpoint_health to service_role;

-- Records what is wrong with one endpoint, for queue_health. Rewrites the row
-- only when the problem changed or is a minute old, so a dispatcher round
-- that finds the same trouble again writes nothing.
create function pgpod.note_endpoint_problem(endpoint text, problem text)
returns void
language sql security definer set search_path = '' as $$
  insert into pgpod.endpoint_health as h (endpoint, problem, problem_at)
  select e.name, note_endpoint_problem.problem, now() from pgpod.endpoints e where e.name = note_endpoint_problem.endpoint
  on conflict on constraint endpoint_health_pkey do update
    set problem = excluded.problem, problem_at = excluded.problem_at
    where h.problem is distinct from excluded.problem or h.problem_at < now() - interval '1 minute'
$$;

create or replace function pgpod.dispatchable_endpoints()
returns setof text
language plpgsql security definer set search_path = '' as $$
declare
  e record;
  visible boolean;
begin
  for e in
    select x.name, x.queue_name from pgpod.endpoints x
    left join pgpod.endpoint_health h on h.endpoint = x.name
    where not x.paused
      and (h.dispatch_after is null or h.dispatch_after <= now())
      and (x.max_in_flight is null or x.max_in_flight > (
             select count(*) from pgpod.runs r
             where r.endpoint = x.name and r.status in ('submitting', 'IN_QUEUE', 'IN_PROGRESS')))
    order by x.name
  loop
    -- pgmq's queue tables are q_<name> with a vt index (its documented layout).
    -- A dropped queue stops its own endpoint, never the others.
    if to_regclass(format('pgmq.%I', 'q_' || lower(e.queue_name))) is null then
      perform pgpod.note_endpoint_problem(e.name, format(
        'pgpod: the queue %s is missing; recreate it with select pgmq.create(%L)', e.queue_name, e.queue_name));
      continue;
    end if;
    execute format('select exists (select 1 from pgmq.%I where vt <= clock_timestamp())', 'q_' || lower(e.queue_name))
      into visible;
    if visible then
      return next e.name;
    end if;
  end loop;
end $$;

-- Puts the jobs of runs RunPod refused back in the queue without counting the
-- attempt, after the endpoint's backoff. refused: [{run_id, endpoint, kind,
-- reason, retry_after_s}] with kind rate_limited (429), unavailable (5xx,
-- network, timeout) or not_sent (left out because the endpoint refused an
-- earlier run of the same round). Jobs with a cancel request end cancelled;
-- jobs refused max_submit_failures times in a row (429s aside) fail.
create function pgpod.requeue_refused(refused jsonb)
returns jsonb
language plpgsql set search_path = '' as $$
declare
  plan jsonb;
begin
  if coalesce(jsonb_array_length(refused), 0) = 0 then
    return '{"requeued": [], "failed": [], "cancelled": []}';
  end if;
  with r as (
    select x.run_id, x.endpoint, x.kind, x.reason, x.retry_after_s
    from jsonb_to_recordset(refused) as x(run_id bigint, endpoint text, kind text, reason text, retry_after_s integer)
  ), delays as (
    -- Retry-After when RunPod sent one, else jittered exponential on the
    -- refusals in a row; left-out runs wait for the backoff already set.
    select e.name as endpoint,
           case when bool_or(r.kind <> 'not_sent') then
                  coalesce(max(r.retry_after_s), pgpod.backoff_s(coalesce(max(h.refusals), 0) + 1, 1, e.backoff_max_s, random()))
                else greatest(1, ceil(extract(epoch from max(h.dispatch_after) - now())))::integer end as delay_s
    from r
    join pgpod.endpoints e on e.name = r.endpoint
    left join pgpod.endpoint_health h on h.endpoint = r.endpoint
    group by e.name, e.backoff_max_s
  ), locked as (
    select j.id, j.endpoint, j.attempt, j.submit_failures, j.cancel_requested_at, e.max_submit_failures,
           r.kind, r.reason, r.run_id, d.delay_s
    from pgpod.jobs j
    join r on r.run_id = j.run_id
    join pgpod.endpoints e on e.name = j.endpoint
    join delays d on d.endpoint = j.endpoint
    where j.status = 'submitting'
    order by j.id
    for update of j
  ), decided as (
    select l.*,
           l.submit_failures + case when l.kind = 'unavailable' then 1 else 0 end as failures,
           case when l.cancel_requested_at is not null then 'cancelled'
                when l.kind = 'unavailable' and l.submit_failures + 1 >= l.max_submit_failures then 'failed'
                else 'queued' end as next_status
    from locked l
  ), updated as (
    update pgpod.jobs j
       set status = d.next_status::pgpod.job_status,
           attempt = j.attempt - 1,
           submit_failures = d.failures,
           error = case when d.next_status = 'failed'
                        then format('pgpod: RunPod refused the submission %s times in a row (last: %s)', d.failures, d.reason)
                        when d.next_status = 'queued' then d.reason end,
           run_after = case when d.next_status = 'queued' then now() + make_interval(secs => d.delay_s) end,
           finished_at = case when d.next_status <> 'queued' then now() end,
           updated_at = now()
      from decided d
     where j.id = d.id
    returning d.id, d.endpoint, d.run_id, d.kind, d.reason, d.delay_s, d.failures, d.next_status
  )
  select coalesce(jsonb_agg(to_jsonb(u)), '[]') into plan from updated u;

  perform pgmq.send(queue_name => e.queue_name::text, msg => jsonb_build_object('job_id', p.id), delay => p.delay_s)
  from jsonb_to_recordset(plan) as p(id uuid, endpoint text, delay_s integer, next_status text)
  join pgpod.endpoints e on e.name = p.endpoint
  where p.next_status = 'queued';

  insert into pgpod.job_events (job_id, run_id, kind, detail)
  select p.id, p.run_id,
         case p.next_status when 'queued' then 'submission_refused' else p.next_status end,
         jsonb_strip_nulls(jsonb_build_object(
           'refusal', p.kind, 'error', p.reason, 'submit_failures', p.failures,
           'delay_s', case when p.next_status = 'queued' then p.delay_s end))
  from jsonb_to_recordset(plan) as p(id uuid, run_id bigint, kind text, reason text, delay_s integer, failures integer,
                                     next_status text);

  perform pgpod.run_on_complete(array(
    select p.id from jsonb_to_recordset(plan) as p(id uuid, next_status text) where p.next_status <> 'queued'));

  -- The endpoint backs off as a whole (last, after runs and jobs: the lock order).
  insert into pgpod.endpoint_health as h (endpoint, refusals, dispatch_after, problem, problem_at)
  select b.endpoint, 1, now() + make_interval(secs => b.delay_s), b.reason, now()
  from (
    select p.endpoint, max(p.delay_s) as delay_s, (array_agg(p.reason order by p.run_id desc))[1] as reason
    from jsonb_to_recordset(plan) as p(endpoint text, run_id bigint, kind text, reason text, delay_s integer)
    where p.kind <> 'not_sent'
    group by p.endpoint
  ) b
  order by b.endpoint
  on conflict on constraint endpoint_health_pkey do update
    set refusals = h.refusals + 1, dispatch_after = excluded.dispatch_after,
        problem = excluded.problem, problem_at = excluded.problem_at;

  return jsonb_build_object(
    'requeued', coalesce((select jsonb_agg(p.id) from jsonb_to_recordset(plan) as p(id uuid, next_status text) where p.next_status = 'queued'), '[]'),
    'failed', coalesce((select jsonb_agg(p.id) from jsonb_to_recordset(plan) as p(id uuid, next_status text) where p.next_status = 'failed'), '[]'),
    'cancelled', coalesce((select jsonb_agg(p.id) from jsonb_to_recordset(plan) as p(id uuid, next_status text) where p.next_status = 'cancelled'), '[]'));
end $$;

-- Records failed /run calls: [{run_id, attempt, reason, kind, retry_after_s?}].
-- kind rejected (a 4xx: the request is wrong) fails the jobs; failed (pgpod
-- could not prepare the call) counts as an attempt and retries with backoff;
-- rate_limited, unavailable and not_sent are refusals (requeue_refused).
-- Without a kind, permanent = true means rejected and anything else unavailable.
create or replace function pgpod.release_run(releases jsonb)
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  rel record;
  outcome jsonb;
  refused jsonb := '[]';
  totals jsonb := jsonb_build_object('released', 0, 'stale', 0, 'requeued', '[]'::jsonb,
                                     'failed', '[]'::jsonb, 'cancelled', '[]'::jsonb);
begin
  for rel in
    select x.run_id, x.attempt, coalesce(x.reason, 'submit_failed') as reason, x.retry_after_s,
           coalesce(x.kind, case when x.permanent then 'rejected' else 'unavailable' end) as kind
    from jsonb_to_recordset(releases) as x(run_id bigint, attempt integer, reason text, retry_after_s integer,
                                           permanent boolean, kind text)
    order by x.run_id
  loop
    if rel.kind not in ('rejected', 'failed', 'rate_limited', 'unavailable', 'not_sent') then
      raise exception 'pgpod: unknown release kind "%"', rel.kind using errcode = '22023';
    end if;
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
    totals := jsonb_set(totals, '{released}', to_jsonb((totals ->> 'released')::integer + 1));
    perform pgmq.delete(queue_name => e.queue_name::text,
                        msg_ids => array(select jsonb_array_elements_text(outcome -> 'msg_ids')::bigint))
    from pgpod.endpoints e where e.name = outcome ->> 'endpoint';
    if rel.kind in ('rate_limited', 'unavailable', 'not_sent') then
      refused := refused || jsonb_build_object('run_id', rel.run_id, 'endpoint', outcome ->> 'endpoint', 'kind', rel.kind,
                                               'reason', rel.reason, 'retry_after_s', rel.retry_after_s);
      continue;
    end if;
    outcome := pgpod.settle_failures(
      (select jsonb_agg(jsonb_build_object('job_id', j.id, 'error', rel.reason))
       from pgpod.jobs j where j.run_id = rel.run_id),
      rel.kind = 'rejected', coalesce(rel.retry_after_s, 0), rel.run_id);
    totals := totals || jsonb_build_object(
      'requeued', (totals -> 'requeued') || (outcome -> 'requeued'),
      'failed', (totals -> 'failed') || (outcome -> 'failed'),
      'cancelled', (totals -> 'cancelled') || (outcome -> 'cancelled'));
  end loop;
  outcome := pgpod.requeue_refused(refused);
  return totals || jsonb_build_object(
    'requeued', (totals -> 'requeued') || (outcome -> 'requeued'),
    'failed', (totals -> 'failed') || (outcome -> 'failed'),
    'cancelled', (totals -> 'cancelled') || (outcome -> 'cancelled'));
end $$;

-- As before, and an accepted /run clears its endpoint's refusals and backoff
-- and its jobs' submit_failures.
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

-- A fresh budget of submit refusals too.
create or replace function pgpod.retry(job_id uuid)
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
     set status = 'queued', attempt = 0, max_attempts = e.max_attempts, submit_failures = 0, error = null, output = null,
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

-- Metrics of every endpoint's queue; an endpoint whose queue is missing gets
-- nulls instead of making the whole view fail.
create or replace function pgpod.queue_metrics()
returns table (endpoint text, queue_name text, queue_length bigint, oldest_msg_age_s integer,
               newest_msg_age_s integer, total_messages bigint)
language plpgsql stable security definer set search_path = '' as $$
#variable_conflict use_column
declare
  e record;
begin
  for e in select x.name, x.queue_name from pgpod.endpoints x order by x.name loop
    if to_regclass(format('pgmq.%I', 'q_' || lower(e.queue_name))) is null then
      return query select e.name, e.queue_name::text, null::bigint, null::integer, null::integer, null::bigint;
    else
      return query
      select e.name, e.queue_name::text, m.queue_length, m.oldest_msg_age_sec, m.newest_msg_age_sec, m.total_messages
      from pgmq.metrics(queue_name => e.queue_name::text) m;
    end if;
  end loop;
end $$;

-- dispatch_after, submit_refusals and problem say why an endpoint is not
-- dispatching: backing off after RunPod refused it, or something broken.
create or replace view pgpod.queue_health with (security_invoker = true) as
select q.endpoint,
       q.queue_name,
       q.queue_length,
       q.oldest_msg_age_s,
       q.newest_msg_age_s,
       q.total_messages,
       (select count(*) from pgpod.runs r
        where r.endpoint = q.endpoint and r.status = 'submitting'
          and r.claimed_at < now() - make_interval(secs => s.claim_vt_s)) as runs_stuck_submitting,
       (select count(*) from pgpod.runs r
        where r.endpoint = q.endpoint and r.status in ('IN_QUEUE', 'IN_PROGRESS')
          and coalesce(r.last_polled_at, r.submitted_at) < now() - make_interval(secs => s.poll_after_s)) as runs_overdue,
       (select ev.detail ->> 'error' from pgpod.job_events ev
        where ev.kind = 'kick_failed' and ev.created_at > now() - interval '1 hour'
        order by ev.created_at desc limit 1) as kick_problem,
       case when h.dispatch_after > now() then h.dispatch_after end as dispatch_after,
       coalesce(h.refusals, 0) as submit_refusals,
       case when q.queue_length is null then format('pgpod: the queue %s is missing', q.queue_name)
            else h.problem end as problem,
       h.problem_at
from pgpod.queue_metrics() q
cross join pgpod.settings s
left join pgpod.endpoint_health h on h.endpoint = q.endpoint;

-- As before, skipping the archive of an endpoint whose queue is missing.
create or replace function pgpod.prune(older_than interval default null)
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  cutoff timestamptz := now() - coalesce(older_than, (select s.retention from pgpod.settings s));
  events bigint;
  archived bigint := 0;
  n bigint;
  q text;
  cron_runs bigint;
begin
  delete from pgpod.job_events ev where ev.created_at < cutoff;
  get diagnostics events = row_count;
  for q in select e.queue_name from pgpod.endpoints e
           where to_regclass(format('pgmq.%I', 'a_' || lower(e.queue_name))) is not null loop
    -- pgmq has no archive retention of its own; a_<queue> is its archive table
    execute format('delete from pgmq.%I where archived_at < $1', 'a_' || q) using cutoff;
    get diagnostics n = row_count;
    archived := archived + n;
  end loop;
  delete from cron.job_run_details d where d.end_time < cutoff;
  get diagnostics cron_runs = row_count;
  return jsonb_build_object('job_events', events, 'archived_messages', archived, 'cron_runs', cron_runs);
end $$;

grant execute on function pgpod.note_endpoint_problem(text, text) to service_role;
