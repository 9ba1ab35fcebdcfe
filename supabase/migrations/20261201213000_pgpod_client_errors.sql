-- Errors a client causes reach it through the Data API with a fitting HTTP
-- status. PostgREST answers SQLSTATE PTxyz with status xyz; the classes used
-- before (P0002, 54000, 55000) all became 500s there.

-- The insert trigger fills max_attempts from the endpoint. This default
-- evaluates to null and leaves the value to it (NOT NULL is checked after
-- BEFORE triggers), while telling clients and generated types that an insert
-- may leave the column out.
alter table pgpod.jobs alter column max_attempts set default (nullif(0, 0));

create or replace function pgpod.jobs_before_insert() returns trigger
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
    raise exception 'pgpod: endpoint "%" is paused', e.name using errcode = 'PT409';
  end if;
  if new.input is null or jsonb_typeof(new.input) <> 'object' then
    raise exception 'pgpod: input must be a JSON object' using errcode = '22023';
  end if;
  -- RunPod refuses /run bodies over 10 MB
  if octet_length(new.input::text) > 10 * 1024 * 1024 then
    raise exception 'pgpod: input is % bytes, over the 10 MB RunPod accepts', octet_length(new.input::text)
      using errcode = 'PT413';
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

create or replace function pgpod.find_own_job(job_id uuid)
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
    raise exception 'pgpod: job % not found', job_id using errcode = 'PT404';
  end if;
  return job;
end $$;

-- Only failed or cancelled jobs can be retried; any other state is a conflict.
create or replace function pgpod.retry(job_id uuid)
returns pgpod.jobs
language plpgsql security definer set search_path = '' as $$
declare
  job pgpod.jobs := pgpod.find_own_job(job_id);
begin
  if job.status not in ('failed', 'cancelled') then
    raise exception 'pgpod: job % is %, only failed or cancelled jobs can be retried', job.id, job.status
      using errcode = 'PT409';
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
