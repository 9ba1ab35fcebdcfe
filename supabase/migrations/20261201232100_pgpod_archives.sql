-- Archives: the pgpod-archive Edge Function writes one tar.gz of a user's
-- job files to <user id>/<key>.tar.gz in the private pgpod-archives bucket,
-- where <key> is a digest of the set of files, so the same set is served from
-- the archive made before. Only the function (service key) writes there;
-- users get signed URLs from it.
insert into storage.buckets (id, name, public, allowed_mime_types)
values ('pgpod-archives', 'pgpod-archives', false, array['application/gzip'])
on conflict (id) do nothing;

create table pgpod.archives (
  id bigint generated always as identity primary key,
  owner_id uuid not null references auth.users (id) on delete cascade,
  key text not null check (key ~ '^[0-9a-f]{64}$'),
  bucket text not null,
  path text not null,
  size bigint not null check (size >= 0),
  files integer not null check (files > 0),
  created_at timestamptz not null default now(),
  -- set by pgpod.prune; the dispatcher then removes the object and the row
  expired_at timestamptz,
  unique (owner_id, key)
);
create index archives_expired_idx on pgpod.archives (expired_at) where expired_at is not null;
alter table pgpod.archives enable row level security;
revoke all on pgpod.archives from public, anon, authenticated;
grant select on pgpod.archives to authenticated;
grant select, insert, update, delete on pgpod.archives to service_role;
create policy "owners read their archives" on pgpod.archives
  for select to authenticated using (owner_id = (select auth.uid()));

-- The files of the caller's jobs chosen by ids or by a filter, read through
-- the caller's RLS (the function runs it as the signed-in user), so another
-- user's jobs are never part of an archive. A requested job the caller cannot
-- see is refused by name rather than left out.
create function pgpod.archive_files(
  job_ids uuid[] default null,
  endpoint text default null,
  created_after timestamptz default null,
  created_before timestamptz default null,
  max_files integer default 10000
) returns table (job_id uuid, filename text, bucket text, path text, size bigint, sha256 text)
language plpgsql stable set search_path = '' as $$
#variable_conflict use_column
declare
  unseen uuid;
  n bigint;
begin
  if job_ids is null and endpoint is null and created_after is null and created_before is null then
    raise exception 'pgpod: name the jobs to archive (job_ids) or a filter (endpoint, created_after, created_before)'
      using errcode = '22023';
  end if;
  select r into unseen from unnest(job_ids) r
  where not exists (select 1 from pgpod.jobs j where j.id = r) limit 1;
  if unseen is not null then
    raise exception 'pgpod: job % not found', unseen using errcode = 'PT404';
  end if;
  select count(*) into n
  from pgpod.job_files f join pgpod.jobs j on j.id = f.job_id
  where (archive_files.job_ids is null or j.id = any(archive_files.job_ids))
    and (archive_files.endpoint is null or j.endpoint = archive_files.endpoint)
    and (archive_files.created_after is null or j.created_at >= archive_files.created_after)
    and (archive_files.created_before is null or j.created_at < archive_files.created_before);
  if n > max_files then
    raise exception 'pgpod: % files match, more than the % one archive may hold', n, max_files using errcode = 'PT413';
  end if;
  return query
  select f.job_id, f.filename, f.bucket, f.path, f.size, f.sha256
  from pgpod.job_files f join pgpod.jobs j on j.id = f.job_id
  where (archive_files.job_ids is null or j.id = any(archive_files.job_ids))
    and (archive_files.endpoint is null or j.endpoint = archive_files.endpoint)
    and (archive_files.created_after is null or j.created_at >= archive_files.created_after)
    and (archive_files.created_before is null or j.created_at < archive_files.created_before)
  order by f.job_id, f.index;
end $$;
grant execute on function pgpod.archive_files(uuid[], text, timestamptz, timestamptz, integer) to authenticated;

-- The archive already made of this set of files, while it is not expired.
create function pgpod.cached_archive(owner_id uuid, key text)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object('bucket', a.bucket, 'path', a.path, 'size', a.size, 'files', a.files)
  from pgpod.archives a
  where a.owner_id = cached_archive.owner_id and a.key = cached_archive.key and a.expired_at is null
$$;

create function pgpod.record_archive(owner_id uuid, key text, bucket text, path text, size bigint, files integer)
returns void
language sql security definer set search_path = '' as $$
  insert into pgpod.archives (owner_id, key, bucket, path, size, files)
  values (owner_id, key, bucket, path, size, files)
  on conflict on constraint archives_owner_id_key_key do update
    set bucket = excluded.bucket, path = excluded.path, size = excluded.size, files = excluded.files,
        created_at = now(), expired_at = null
$$;

-- Archives prune marked, for the dispatcher to remove from Storage.
create function pgpod.expired_archives(max_archives integer default 100)
returns table (id bigint, bucket text, path text)
language sql stable security definer set search_path = '' as $$
  select a.id, a.bucket, a.path from pgpod.archives a
  where a.expired_at is not null order by a.expired_at limit max_archives
$$;

create function pgpod.forget_archives(ids bigint[])
returns void
language sql security definer set search_path = '' as $$
  delete from pgpod.archives a where a.id = any(ids) and a.expired_at is not null
$$;

revoke all on function pgpod.cached_archive(uuid, text), pgpod.record_archive(uuid, text, text, text, bigint, integer),
                       pgpod.expired_archives(integer), pgpod.forget_archives(bigint[]) from public, anon, authenticated;
grant execute on function pgpod.cached_archive(uuid, text), pgpod.record_archive(uuid, text, text, text, bigint, integer),
                          pgpod.expired_archives(integer), pgpod.forget_archives(bigint[]) to service_role;

-- Retention covers archives too: prune marks those made before the cutoff
-- (the bytes live in Storage, which SQL may not delete) and the next cron
-- dispatch removes them through the Storage API.
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
  archives bigint;
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
  update pgpod.archives a set expired_at = now() where a.created_at < cutoff and a.expired_at is null;
  get diagnostics archives = row_count;
  return jsonb_build_object('job_events', events, 'archived_messages', archived, 'cron_runs', cron_runs,
                            'expired_archives', archives);
end $$;
