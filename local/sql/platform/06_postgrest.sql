-- Supabase databases tell PostgREST to reload its schema cache after DDL, so
-- new tables, columns and functions reach the Data API without a restart.
-- pgmq's queue tables (made and dropped with every pgpod endpoint) are never
-- exposed, so their DDL sends no reload.
create or replace function extensions.pgrst_ddl_watch() returns event_trigger
language plpgsql set search_path = '' as $$
begin
  if exists (
    select 1 from pg_catalog.pg_event_trigger_ddl_commands() c
    where c.schema_name is distinct from 'pgmq' and not coalesce(c.in_extension, false)
      and coalesce(c.schema_name, '') not like 'pg_temp%'
  ) then
    notify pgrst, 'reload schema';
  end if;
end $$;

create or replace function extensions.pgrst_drop_watch() returns event_trigger
language plpgsql set search_path = '' as $$
begin
  if exists (
    select 1 from pg_catalog.pg_event_trigger_dropped_objects() d
    where d.schema_name is distinct from 'pgmq' and not d.is_temporary
  ) then
    notify pgrst, 'reload schema';
  end if;
end $$;

do $$
begin
  if not exists (select 1 from pg_event_trigger where evtname = 'pgrst_ddl_watch') then
    create event trigger pgrst_ddl_watch on ddl_command_end execute function extensions.pgrst_ddl_watch();
  end if;
  if not exists (select 1 from pg_event_trigger where evtname = 'pgrst_drop_watch') then
    create event trigger pgrst_drop_watch on sql_drop execute function extensions.pgrst_drop_watch();
  end if;
end $$;
