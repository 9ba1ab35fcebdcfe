-- pgpod data model: endpoints, jobs, runs, output files and an audit trail.
create schema if not exists pgpod;

create type pgpod.job_status as enum (
  'queued', 'submitting', 'submitted', 'running', 'succeeded', 'failed', 'cancelled'
);

-- Knobs that are global rather than per endpoint (one row).
create table pgpod.settings (
  id boolean primary key default true check (id),
  -- at most one dispatcher kick per window, however many inserts
  kick_debounce_ms integer not null default 1000 check (kick_debounce_ms between 10 and 60000),
  -- pg_net timeout for kicks and cron calls; the dispatcher answers quickly
  dispatch_timeout_ms integer not null default 10000 check (dispatch_timeout_ms between 1000 and 120000),
  -- visibility timeout of claimed messages: longer than a whole dispatcher
  -- invocation (Edge Functions stop at 150 s), so only a crash lets it lapse
  claim_vt_s integer not null default 180 check (claim_vt_s between 30 and 3600),
  -- poll RunPod /status for runs not heard from for this long; results are
  -- kept 30 minutes, so this must stay well below that
  poll_after_s integer not null default 300 check (poll_after_s between 5 and 900),
  -- what pgpod.prune() deletes by default
  retention interval not null default '14 days' check (retention >= interval '1 hour')
);
insert into pgpod.settings default values;

create table pgpod.endpoints (
  name text primary key check (name ~ '^[a-z][a-z0-9_]{0,39}$'),
  runpod_endpoint_id text not null check (runpod_endpoint_id <> ''),
  api_base text not null default 'https://api.runpod.ai/v2' check (api_base ~ '^https?://'),
  queue_name text not null unique generated always as ('pgpod_' || name) stored,
  max_in_flight integer check (max_in_flight > 0),
  batch_size integer not null default 1 check (batch_size between 1 and 1000),
  max_attempts integer not null default 3 check (max_attempts between 1 and 100),
  backoff_base_s integer not null default 10 check (backoff_base_s > 0),
  backoff_max_s integer not null default 600,
  execution_timeout_ms integer check (execution_timeout_ms between 5000 and 604800000),
  ttl_ms integer check (ttl_ms between 10000 and 604800000),
  low_priority boolean not null default false,
  input_schema jsonb check (input_schema is null or jsonb_typeof(input_schema) = 'object'),
  output_bucket text not null default 'pgpod-outputs',
  public_outputs boolean not null default false,
  signed_url_ttl_s integer not null default 3600 check (signed_url_ttl_s > 0),
  direct_upload boolean not null default false,
  -- a function taking pgpod.jobs, called when a job of this endpoint ends
  on_complete text,
  paused boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (backoff_max_s >= backoff_base_s)
);

create table pgpod.runs (
  id bigint generated always as identity primary key,
  endpoint text not null references pgpod.endpoints (name),
  attempt integer not null,
  grouped boolean not null,
  job_ids uuid[] not null,
  msg_ids bigint[] not null,
  -- submitting until /run answers, then RunPod's status; released when /run
  -- failed, abandoned when the dispatcher vanished before recording it
  status text not null default 'submitting' check (status in (
    'submitting', 'IN_QUEUE', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT',
    'released', 'abandoned')),
  runpod_job_id text,
  error text,
  delay_ms bigint,
  execution_ms bigint,
  claimed_at timestamptz not null default now(),
  submitted_at timestamptz,
  finished_at timestamptz,
  last_polled_at timestamptz,
  cancel_sent_at timestamptz,
  webhook_count integer not null default 0
);
create index runs_submitting_idx on pgpod.runs (claimed_at) where status = 'submitting';
create index runs_in_flight_idx on pgpod.runs (endpoint) where status in ('submitting', 'IN_QUEUE', 'IN_PROGRESS');
create index runs_poll_idx on pgpod.runs ((coalesce(last_polled_at, submitted_at)))
  where status in ('IN_QUEUE', 'IN_PROGRESS');
create index runs_finished_idx on pgpod.runs (endpoint, finished_at) where finished_at is not null;

create table pgpod.jobs (
  id uuid primary key default gen_random_uuid(),
  endpoint text not null references pgpod.endpoints (name),
  owner_id uuid default auth.uid() references auth.users (id) on delete cascade,
  status pgpod.job_status not null default 'queued',
  input jsonb not null,
  output jsonb,
  error text,
  attempt integer not null default 0,
  max_attempts integer not null,
  idempotency_key text check (idempotency_key <> ''),
  run_after timestamptz,
  cancel_requested_at timestamptz,
  source_table text,
  source_id text,
  run_id bigint references pgpod.runs (id),
  created_at timestamptz not null default now(),
  submitted_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now()
);
-- One key per owner and endpoint; service submissions (no owner) share one namespace.
create unique index jobs_idempotency_key_idx on pgpod.jobs (endpoint, owner_id, idempotency_key)
  nulls not distinct where idempotency_key is not null;
create index jobs_owner_idx on pgpod.jobs (owner_id, created_at desc);
create index jobs_run_idx on pgpod.jobs (run_id) where run_id is not null;
create index jobs_active_idx on pgpod.jobs (endpoint, status)
  where status in ('queued', 'submitting', 'submitted', 'running');
create index jobs_cancel_requested_idx on pgpod.jobs (run_id)
  where cancel_requested_at is not null and status in ('submitting', 'submitted', 'running');
create index jobs_finished_idx on pgpod.jobs (endpoint, finished_at) where finished_at is not null;
create index jobs_source_idx on pgpod.jobs (source_table, source_id) where source_table is not null;

create table pgpod.job_files (
  job_id uuid not null references pgpod.jobs (id) on delete cascade,
  index integer not null check (index >= 0),
  owner_id uuid,
  filename text not null,
  bucket text not null,
  path text not null,
  content_type text,
  size bigint check (size >= 0),
  sha256 text,
  created_at timestamptz not null default now(),
  primary key (job_id, index)
);
create index job_files_owner_idx on pgpod.job_files (owner_id);

create table pgpod.job_events (
  id bigint generated always as identity primary key,
  job_id uuid references pgpod.jobs (id) on delete cascade,
  run_id bigint,
  kind text not null,
  detail jsonb not null default '{}',
  created_at timestamptz not null default now()
);
create index job_events_job_idx on pgpod.job_events (job_id);
create index job_events_created_idx on pgpod.job_events (created_at);

-- Each endpoint gets its own pgmq queue, so a busy endpoint never starves the others.
create function pgpod.endpoints_sync_queue() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'DELETE' then
    perform pgmq.drop_queue(queue_name => old.queue_name::text);
    return old;
  end if;
  perform pgmq.create(queue_name => new.queue_name::text);
  return new;
end $$;

create trigger endpoints_sync_queue
  after insert or delete on pgpod.endpoints
  for each row execute function pgpod.endpoints_sync_queue();

-- on_complete is stored as text (reg* columns block pg_upgrade) and checked here.
create function pgpod.endpoints_normalise() returns trigger
language plpgsql set search_path = '' as $$
declare
  fn regprocedure;
begin
  if new.on_complete is not null then
    fn := to_regprocedure(new.on_complete || '(pgpod.jobs)');
    if fn is null then
      raise exception 'pgpod: on_complete function %(pgpod.jobs) does not exist', new.on_complete
        using errcode = '42883';
    end if;
  end if;
  new.updated_at := now();
  return new;
end $$;

create trigger endpoints_normalise
  before insert or update on pgpod.endpoints
  for each row execute function pgpod.endpoints_normalise();
