-- Realtime: Postgres Changes on pgpod.jobs (RLS-filtered per subscriber) and,
-- as Supabase recommends for scale, Broadcast from the database on a private
-- topic per owner: 'pgpod:jobs:<owner_id>' (events INSERT / UPDATE / DELETE).
-- The policy that lets only the owner receive it is in pgpod_realtime_policy.
do $$
begin
  if not exists (select 1 from pg_publication_tables
                 where pubname = 'supabase_realtime' and schemaname = 'pgpod' and tablename = 'jobs') then
    alter publication supabase_realtime add table pgpod.jobs;
  end if;
end $$;

-- The broadcast carries the job without its input: inputs may be up to 10 MB,
-- far past Realtime's payload limit. Security definer so the message insert
-- does not depend on the writer's privileges on realtime.messages.
create function pgpod.jobs_broadcast() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  slim_new record;
  slim_old record;
  owner uuid := case when tg_op = 'DELETE' then old.owner_id else new.owner_id end;
  topic text := 'pgpod:jobs:' || owner::text;
begin
  if owner is null then
    return null;
  end if;
  if tg_op <> 'DELETE' then
    select new.id, new.endpoint, new.owner_id, new.status, new.output, new.error, new.attempt,
           new.max_attempts, new.idempotency_key, new.run_after, new.cancel_requested_at,
           new.source_table, new.source_id, new.created_at, new.submitted_at, new.started_at,
           new.finished_at, new.updated_at
      into slim_new;
  end if;
  if tg_op <> 'INSERT' then
    select old.id, old.endpoint, old.owner_id, old.status, old.attempt, old.updated_at into slim_old;
  end if;
  case tg_op
    when 'INSERT' then
      perform realtime.broadcast_changes(topic, tg_op, tg_op, tg_table_name, tg_table_schema, slim_new, null);
    when 'UPDATE' then
      perform realtime.broadcast_changes(topic, tg_op, tg_op, tg_table_name, tg_table_schema, slim_new, slim_old);
    else
      perform realtime.broadcast_changes(topic, tg_op, tg_op, tg_table_name, tg_table_schema, null, slim_old);
  end case;
  return null;
end $$;

create trigger jobs_broadcast
  after insert or update or delete on pgpod.jobs
  for each row execute function pgpod.jobs_broadcast();
