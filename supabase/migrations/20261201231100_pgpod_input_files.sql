-- Input files: a job's input may reference Storage objects with
--   {"$storage": {"bucket": "pgpod-inputs", "path": "<user id>/inputs/a.wav"}}
-- anywhere in its JSON. The insert is refused unless each object exists and
-- the submitting user may read it; the dispatcher replaces each reference by
-- a signed download URL, so workers never hold a Supabase key.

-- Users upload inputs to their own folder of this private bucket.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('pgpod-inputs', 'pgpod-inputs', false, 50 * 1024 * 1024,
        array['image/*', 'audio/*', 'video/*', 'application/pdf', 'application/json', 'text/plain'])
on conflict (id) do nothing;

create function pgpod.inputs_policy_sql() returns text
language sql immutable set search_path = '' as $fn$
  select $sql$create policy "pgpod owners manage their inputs" on storage.objects
  for all to authenticated
  using (bucket_id = 'pgpod-inputs' and (storage.foldername(name))[1] = (select auth.uid())::text)
  with check (bucket_id = 'pgpod-inputs' and (storage.foldername(name))[1] = (select auth.uid())::text);$sql$
$fn$;

-- As with the outputs policy, a project whose postgres may not add policies
-- to storage.objects gets a warning and a setup_checks row instead of a failed push.
do $$
begin
  execute pgpod.inputs_policy_sql();
exception when insufficient_privilege then
  raise warning using
    message = 'pgpod: could not create the storage policy "pgpod owners manage their inputs" on storage.objects',
    hint = 'Users cannot upload input files until it exists: run the fix of select * from pgpod.setup_checks as a role that may';
end $$;

-- A reference to an input file, for SQL that builds job inputs.
create function pgpod.input_file(path text, bucket text default 'pgpod-inputs')
returns jsonb
language sql immutable set search_path = '' as $$
  select jsonb_build_object('$storage', jsonb_build_object('bucket', bucket, 'path', path))
$$;
grant execute on function pgpod.input_file(text, text) to authenticated, service_role;

-- Runs as the inserting role (security invoker), so a user's insert sees
-- storage.objects through that user's RLS: an object they may not read is as
-- good as missing. Privileged inserts (service code, app-table triggers such
-- as enqueue_row) bypass RLS; for them an owned job's object must belong to
-- the owner: uploaded by them or in their folder.
create function pgpod.jobs_check_input_files() returns trigger
language plpgsql set search_path = '' as $$
declare
  ref jsonb;
  refs integer := 0;
  bucket text;
  path text;
  as_caller boolean;
begin
  for ref in
    select r -> '$storage' from jsonb_path_query(new.input, 'strict $.**') r
    where jsonb_typeof(r) = 'object' and r ? '$storage'
  loop
    refs := refs + 1;
    -- looked up only for inputs with references: most jobs never touch storage
    as_caller := coalesce(as_caller, pg_catalog.row_security_active('storage.objects'));
    if refs > 100 then
      raise exception 'pgpod: input references more than 100 files' using errcode = '22023';
    end if;
    bucket := ref ->> 'bucket';
    path := ref ->> 'path';
    if jsonb_typeof(ref) <> 'object' or jsonb_typeof(ref -> 'bucket') is distinct from 'string'
       or jsonb_typeof(ref -> 'path') is distinct from 'string' or bucket = '' or path = '' then
      raise exception 'pgpod: an input file reference must be {"$storage": {"bucket": "<bucket>", "path": "<path>"}}, got %', ref
        using errcode = '22023';
    end if;
    if not exists (
      select 1 from storage.objects o
      where o.bucket_id = bucket and o.name = path
        and (as_caller or new.owner_id is null
             or o.owner_id = new.owner_id::text or (storage.foldername(o.name))[1] = new.owner_id::text)
    ) then
      raise exception 'pgpod: input file %/% does not exist or its owner may not read it', bucket, path
        using errcode = '22023',
              hint = 'Upload it first, to your own folder: <bucket>/<user id>/...';
    end if;
  end loop;
  return new;
end $$;

-- After jobs_before_insert (triggers of one event fire in name order).
create trigger jobs_check_input_files
  before insert on pgpod.jobs
  for each row execute function pgpod.jobs_check_input_files();

-- setup_checks gains the inputs policy.
create or replace view pgpod.setup_checks with (security_invoker = true) as
select c.name, c.ok, c.consequence, case when c.ok then null else c.fix end as fix
from (
  select 'storage policy "pgpod owners read their outputs"' as name,
         exists (select 1 from pg_catalog.pg_policy p
                 where p.polrelid = 'storage.objects'::regclass and p.polname = 'pgpod owners read their outputs') as ok,
         'owners cannot read their output files (signed URLs made with their session fail)' as consequence,
         pgpod.storage_policy_sql() as fix
  union all
  select 'storage policy "pgpod owners manage their inputs"',
         exists (select 1 from pg_catalog.pg_policy p
                 where p.polrelid = 'storage.objects'::regclass and p.polname = 'pgpod owners manage their inputs'),
         'users cannot upload input files to pgpod-inputs, nor submit jobs that reference them',
         pgpod.inputs_policy_sql()
  union all
  select 'Realtime policy "pgpod owners receive their job broadcasts"',
         -- an older version of it did not compare the row's own topic
         exists (select 1 from pg_catalog.pg_policy p
                 where p.polrelid = 'realtime.messages'::regclass and p.polname = 'pgpod owners receive their job broadcasts'
                   and pg_catalog.pg_get_expr(p.polqual, p.polrelid) like '%(topic = ( SELECT realtime.topic() AS topic))%'),
         'clients cannot join their private pgpod:jobs:<user id> channels (or, with the older policy, could read others'' broadcasts)',
         pgpod.realtime_policy_sql()
  union all
  select format('%s may insert into realtime.messages', f.proowner::regrole),
         pg_catalog.has_table_privilege(f.proowner, 'realtime.messages', 'INSERT'),
         'job changes are not broadcast (each is recorded in pgpod.job_events as broadcast_failed)',
         format('grant insert on realtime.messages to %s;  -- as the owner of realtime.messages', f.proowner::regrole)
  from pg_catalog.pg_proc f where f.oid = 'pgpod.jobs_broadcast()'::regprocedure
) c;
grant execute on function pgpod.inputs_policy_sql() to service_role;
