-- What a push could not do by itself, and broadcasts that cannot be written.
-- Migrations report these as warnings, but `supabase db push` does not show
-- server warnings, so they are also kept where an operator can look.

-- realtime.send turns any failure into a warning that pg_net, PostgREST and
-- the Edge Functions drop, so without INSERT on realtime.messages every
-- broadcast would be lost without a trace. This trigger, beside
-- jobs_broadcast, records each such loss as a broadcast_failed event.
create function pgpod.jobs_broadcast_lost() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  job_id uuid := case when tg_op = 'DELETE' then old.id else new.id end;
  owner uuid := case when tg_op = 'DELETE' then old.owner_id else new.owner_id end;
  sender regrole := (select f.proowner::regrole from pg_catalog.pg_proc f where f.oid = 'pgpod.jobs_broadcast()'::regprocedure);
begin
  -- ownerless jobs are not broadcast
  if owner is null or pg_catalog.has_table_privilege(sender, 'realtime.messages', 'INSERT') then
    return null;
  end if;
  raise warning 'pgpod: % may not insert into realtime.messages; the % of job % is not broadcast', sender, tg_op, job_id
    using hint = 'select * from pgpod.setup_checks';
  -- a deleted job's event cannot reference it
  perform pgpod.record_event(case when tg_op = 'DELETE' then null else array[job_id] end, null, 'broadcast_failed',
    jsonb_build_object('job_id', job_id, 'topic', 'pgpod:jobs:' || owner::text, 'event', tg_op,
                       'error', format('%s may not insert into realtime.messages', sender)));
  return null;
end $$;

create trigger jobs_broadcast_lost
  after insert or update or delete on pgpod.jobs
  for each row execute function pgpod.jobs_broadcast_lost();

-- The storage policy's statement (the storage migration creates it when it may).
create or replace function pgpod.storage_policy_sql() returns text
language sql immutable set search_path = '' as $fn$
  select $sql$create policy "pgpod owners read their outputs" on storage.objects
  for select to authenticated
  using (
    bucket_id in (select e.output_bucket from pgpod.endpoints e)
    and (storage.foldername(name))[1] = (select auth.uid())::text
  );$sql$
$fn$;

-- One row per thing pgpod needs from the platform; `fix` is what to run
-- (as a role allowed to) when `ok` is false.
create view pgpod.setup_checks with (security_invoker = true) as
select c.name, c.ok, c.consequence, case when c.ok then null else c.fix end as fix
from (
  select 'storage policy "pgpod owners read their outputs"' as name,
         exists (select 1 from pg_catalog.pg_policy p
                 where p.polrelid = 'storage.objects'::regclass and p.polname = 'pgpod owners read their outputs') as ok,
         'owners cannot read their output files (signed URLs made with their session fail)' as consequence,
         pgpod.storage_policy_sql() as fix
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

revoke all on pgpod.setup_checks from public, anon, authenticated;
grant select on pgpod.setup_checks to service_role;
grant execute on function pgpod.storage_policy_sql(), pgpod.realtime_policy_sql() to service_role;
