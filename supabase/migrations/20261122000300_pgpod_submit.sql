-- Submitting: validation on insert, enqueue in the same transaction, and a
-- debounced kick of the dispatcher after commit.

-- Validates and normalises every new job. Security definer so clients need no
-- access to endpoint settings; the caller's identity still comes from auth.uid().
create function pgpod.jobs_before_insert() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  e pgpod.endpoints;
  missing text[];
begin
  select * into e from pgpod.endpoints where name = new.endpoint;
  if not found then
    raise exception 'pgpod: unknown endpoint "%"', new.endpoint using errcode = '23503';
  end if;
  if e.paused then
    raise exception 'pgpod: endpoint "%" is paused', e.name using errcode = '55000';
  end if;
  if new.input is null or jsonb_typeof(new.input) <> 'object' then
    raise exception 'pgpod: input must be a JSON object' using errcode = '22023';
  end if;
  -- RunPod refuses /run bodies over 10 MB
  if octet_length(new.input::text) > 10 * 1024 * 1024 then
    raise exception 'pgpod: input is % bytes, over the 10 MB RunPod accepts', octet_length(new.input::text)
      using errcode = '54000';
  end if;
  if jsonb_typeof(e.input_schema -> 'required') = 'array' then
    select array_agg(k order by k) into missing
    from jsonb_array_elements_text(e.input_schema -> 'required') k
    where not new.input ? k;
    if missing is not null then
      raise exception 'pgpod: input lacks required keys: %', array_to_string(missing, ', ')
        using errcode = '22023', detail = 'required by the input_schema of endpoint ' || e.name;
    end if;
  end if;

  -- Whatever the caller sent, a job starts at the beginning.
  new.status := 'queued';
  new.attempt := 0;
  new.max_attempts := coalesce(new.max_attempts, e.max_attempts);
  new.output := null;
  new.error := null;
  new.run_id := null;
  new.cancel_requested_at := null;
  new.submitted_at := null;
  new.started_at := null;
  new.finished_at := null;
  new.created_at := now();
  new.updated_at := now();
  return new;
end $$;

create trigger jobs_before_insert
  before insert on pgpod.jobs
  for each row execute function pgpod.jobs_before_insert();

-- Calls the dispatch Edge Function through pg_net (sent after commit). Never
-- takes a lock: the per-transaction flag and a sequence used as a clock are
-- both non-blocking, so concurrent inserters cannot wait on each other. A race
-- may send two kicks in one window, which is harmless. Without the Vault
-- secrets 'pgpod_project_url' and 'pgpod_dispatch_secret' it does nothing and
-- pg_cron dispatches alone.
create sequence pgpod.kick_clock minvalue 0 start 0;

create function pgpod.kick_dispatcher(reason text default 'kick', force boolean default false)
returns bigint
language plpgsql security definer set search_path = '' as $$
declare
  window_ms integer;
  tick bigint;
  project_url text;
  secret text;
begin
  if not force then
    -- pg_net sends at commit, so one kick per transaction is all that helps
    if current_setting('pgpod.kicked', true) = 'on' then
      return null;
    end if;
    perform set_config('pgpod.kicked', 'on', true);
    select kick_debounce_ms into window_ms from pgpod.settings;
    tick := floor(extract(epoch from clock_timestamp()) * 1000 / window_ms);
    if tick <= (select last_value from pgpod.kick_clock) then
      return null;
    end if;
  end if;

  select decrypted_secret into project_url from vault.decrypted_secrets where name = 'pgpod_project_url';
  select decrypted_secret into secret from vault.decrypted_secrets where name = 'pgpod_dispatch_secret';
  if project_url is null or secret is null then
    return null;
  end if;
  if not force then
    perform setval('pgpod.kick_clock', tick);
  end if;
  return net.http_post(
    url => rtrim(project_url, '/') || '/functions/v1/pgpod-dispatch',
    -- Inserts inside this window send no kick of their own; the dispatcher
    -- keeps looking for work at least this long so they are not left to cron.
    body => jsonb_strip_nulls(jsonb_build_object('reason', reason, 'linger_ms', window_ms)),
    params => '{}'::jsonb,
    headers => jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || secret),
    timeout_milliseconds => (select dispatch_timeout_ms from pgpod.settings)
  );
end $$;

-- Statement level, so a 10 000-row insert sends its messages in one batch per
-- endpoint and delay, and asks for one kick.
create function pgpod.jobs_after_insert() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform pgmq.send_batch(queue_name => e.queue_name::text, msgs => b.msgs, delay => b.delay_s)
  from (
    select j.endpoint,
           greatest(0, ceil(extract(epoch from j.run_after - now())))::integer as delay_s,
           array_agg(jsonb_build_object('job_id', j.id) order by j.created_at) as msgs
    from new_jobs j
    group by j.endpoint, 2
  ) b
  join pgpod.endpoints e on e.name = b.endpoint;
  if found then
    perform pgpod.kick_dispatcher('insert');
  end if;
  return null;
end $$;

create trigger jobs_after_insert
  after insert on pgpod.jobs
  referencing new table as new_jobs
  for each statement execute function pgpod.jobs_after_insert();

-- Submit a job; a repeated idempotency key returns the job it created first.
create function pgpod.submit(
  endpoint text,
  input jsonb,
  idempotency_key text default null,
  run_after timestamptz default null
) returns pgpod.jobs
language plpgsql set search_path = '' as $$
declare
  job pgpod.jobs;
begin
  -- dynamic so the conflict target's column names cannot clash with the parameters
  execute 'insert into pgpod.jobs (endpoint, input, idempotency_key, run_after) values ($1, $2, $3, $4)
           on conflict (endpoint, owner_id, idempotency_key) where idempotency_key is not null do nothing
           returning *'
    into job using submit.endpoint, submit.input, submit.idempotency_key, submit.run_after;
  if job.id is null then
    select * into job from pgpod.jobs j
    where j.endpoint = submit.endpoint
      and j.owner_id is not distinct from auth.uid()
      and j.idempotency_key = submit.idempotency_key;
  end if;
  return job;
end $$;

-- Trigger function for app tables:
--   create trigger ... after insert on public.documents for each row
--   execute function pgpod.enqueue_row('transcribe'[, 'public.document_input']);
-- The optional function takes the table's row type and returns the job input;
-- the default input is the row itself. The job belongs to the inserting user,
-- or, for service inserts, to the row's owner_id/user_id column if it has one;
-- an anonymous insert makes an ownerless job.
create function pgpod.enqueue_row() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  row_json jsonb := to_jsonb(new);
  job_input jsonb;
  owner uuid;
  uuid_pattern constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
begin
  if tg_level <> 'ROW' or tg_nargs not between 1 and 2 then
    raise exception 'pgpod.enqueue_row must be a row trigger with arguments (endpoint[, input_fn])'
      using errcode = '39P01';
  end if;
  if tg_nargs = 2 then
    execute format('select %s($1)', tg_argv[1]::regproc) into job_input using new;
  else
    job_input := row_json;
  end if;
  -- A row's own owner column is trusted only for service inserts: an anon
  -- insert into an app table must not make jobs (and files) for someone else.
  owner := case
    when auth.uid() is not null then auth.uid()
    when coalesce(auth.role(), '') in ('anon', 'authenticated') then null
    else coalesce(
      case when row_json ->> 'owner_id' ~ uuid_pattern then (row_json ->> 'owner_id')::uuid end,
      case when row_json ->> 'user_id' ~ uuid_pattern then (row_json ->> 'user_id')::uuid end)
  end;
  insert into pgpod.jobs (endpoint, input, owner_id, source_table, source_id)
  values (tg_argv[0], job_input, owner, format('%I.%I', tg_table_schema, tg_table_name), row_json ->> 'id');
  return new;
end $$;
