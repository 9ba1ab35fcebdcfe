-- Operations: views for the dashboard, the pg_cron schedule and pruning.

create view pgpod.endpoint_stats with (security_invoker = true) as
select e.name as endpoint,
       e.paused,
       e.max_in_flight,
       e.batch_size,
       a.queued,
       a.in_flight,
       d.succeeded_1h,
       d.failed_1h,
       d.succeeded_24h,
       d.failed_24h,
       d.queue_wait_p50_s,
       d.queue_wait_p95_s,
       d.execution_p50_s,
       d.execution_p95_s,
       d.gpu_seconds_24h
from pgpod.endpoints e
cross join lateral (
  select count(*) filter (where j.status = 'queued') as queued,
         count(*) filter (where j.status <> 'queued') as in_flight
  from pgpod.jobs j
  where j.endpoint = e.name and j.status in ('queued', 'submitting', 'submitted', 'running')
) a
cross join lateral (
  -- queue wait = time in pgpod's queue plus time in RunPod's queue (cold starts included)
  select count(*) filter (where j.status = 'succeeded' and j.finished_at > now() - interval '1 hour') as succeeded_1h,
         count(*) filter (where j.status = 'failed' and j.finished_at > now() - interval '1 hour') as failed_1h,
         count(*) filter (where j.status = 'succeeded') as succeeded_24h,
         count(*) filter (where j.status = 'failed') as failed_24h,
         percentile_cont(0.5) within group (order by extract(epoch from j.submitted_at - coalesce(j.run_after, j.created_at)) + r.delay_ms / 1000.0) as queue_wait_p50_s,
         percentile_cont(0.95) within group (order by extract(epoch from j.submitted_at - coalesce(j.run_after, j.created_at)) + r.delay_ms / 1000.0) as queue_wait_p95_s,
         percentile_cont(0.5) within group (order by r.execution_ms / 1000.0) as execution_p50_s,
         percentile_cont(0.95) within group (order by r.execution_ms / 1000.0) as execution_p95_s,
         (select coalesce(sum(x.execution_ms), 0) / 1000.0 from pgpod.runs x
          where x.endpoint = e.name and x.finished_at > now() - interval '24 hours') as gpu_seconds_24h
  from pgpod.jobs j
  left join pgpod.runs r on r.id = j.run_id
  where j.endpoint = e.name and j.finished_at > now() - interval '24 hours'
) d;

-- pgmq metrics need rights on the queue tables; this reads them for the view.
create function pgpod.queue_metrics()
returns table (endpoint text, queue_name text, queue_length bigint, oldest_msg_age_s integer,
               newest_msg_age_s integer, total_messages bigint)
language sql stable security definer set search_path = '' as $$
  select e.name, e.queue_name, m.queue_length, m.oldest_msg_age_sec, m.newest_msg_age_sec, m.total_messages
  from pgpod.endpoints e
  cross join lateral pgmq.metrics(queue_name => e.queue_name::text) m
$$;

create view pgpod.queue_health with (security_invoker = true) as
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
          and coalesce(r.last_polled_at, r.submitted_at) < now() - make_interval(secs => s.poll_after_s)) as runs_overdue
from pgpod.queue_metrics() q
cross join pgpod.settings s;

create view pgpod.recent_failures with (security_invoker = true) as
select j.id as job_id,
       j.endpoint,
       j.owner_id,
       j.attempt,
       j.max_attempts,
       j.error,
       j.finished_at,
       j.run_id,
       r.runpod_job_id,
       j.source_table,
       j.source_id
from pgpod.jobs j
left join pgpod.runs r on r.id = j.run_id
where j.status = 'failed' and j.finished_at > now() - interval '7 days'
order by j.finished_at desc;

-- Deletes audit events, pgmq archive rows and pg_cron run history older than
-- older_than (default settings.retention). Jobs and runs are kept.
create function pgpod.prune(older_than interval default null)
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
  for q in select e.queue_name from pgpod.endpoints e loop
    -- pgmq has no archive retention of its own; a_<queue> is its archive table
    execute format('delete from pgmq.%I where archived_at < $1', 'a_' || q) using cutoff;
    get diagnostics n = row_count;
    archived := archived + n;
  end loop;
  delete from cron.job_run_details d where d.end_time < cutoff;
  get diagnostics cron_runs = row_count;
  return jsonb_build_object('job_events', events, 'archived_messages', archived, 'cron_runs', cron_runs);
end $$;

-- Schedules the dispatcher every `every` (seconds schedules need pg_cron 1.5;
-- older pg_cron gets every minute) and a daily prune. Re-running updates both.
create function pgpod.schedule_dispatch(every interval default '10 seconds')
returns text
language plpgsql security definer set search_path = '' as $$
declare
  secs integer := extract(epoch from every)::integer;
  version integer[] := (select string_to_array(split_part(x.extversion, '-', 1), '.')::integer[]
                        from pg_catalog.pg_extension x where x.extname = 'pg_cron');
  schedule text;
begin
  if secs < 1 then
    raise exception 'pgpod: dispatch interval must be at least 1 second' using errcode = '22023';
  end if;
  if secs < 60 and version >= array[1, 5] then
    schedule := secs || ' seconds';
  elsif secs < 60 then
    schedule := '* * * * *';
    raise notice 'pgpod: pg_cron % has no seconds schedules (1.5+); dispatching every minute, inserts still kick the dispatcher at once',
      array_to_string(version, '.');
  elsif secs < 3600 then
    schedule := '*/' || secs / 60 || ' * * * *';
  else
    schedule := '0 * * * *';
  end if;
  perform cron.schedule('pgpod-dispatch', schedule, 'select pgpod.kick_dispatcher(''cron'', true)');
  perform cron.schedule('pgpod-prune', '17 3 * * *', 'select pgpod.prune()');
  return schedule;
end $$;
