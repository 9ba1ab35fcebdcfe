-- The database side of Supabase Realtime: the `supabase_realtime` publication
-- for Postgres Changes and `realtime.messages` for Broadcast from the database.
-- No Realtime server runs locally; tests read realtime.messages directly.
create schema if not exists realtime;
grant usage on schema realtime to anon, authenticated, service_role;

create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp not null default now(),
  inserted_at timestamp not null default now(),
  id uuid not null default gen_random_uuid(),
  binary_payload bytea,
  primary key (id, inserted_at)
) partition by range (inserted_at);

-- One catch-all partition stands in for the daily partitions Realtime manages.
create table if not exists realtime.messages_local partition of realtime.messages default;
alter table realtime.messages enable row level security;
grant insert, select, update on realtime.messages to anon, authenticated, service_role;

create or replace function realtime.topic() returns text
language sql stable set search_path = '' as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;

create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql set search_path = '' as $$
declare
  body jsonb := payload;
begin
  if not (body ? 'id') then
    body := body || jsonb_build_object('id', gen_random_uuid());
  end if;
  perform set_config('realtime.topic', topic, true);
  insert into realtime.messages (payload, event, topic, private, extension)
  values (body, event, topic, private, 'broadcast');
exception when others then
  -- Realtime swallows send errors as warnings; so does the stand-in.
  raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
end $$;

create or replace function realtime.broadcast_changes(
  topic_name text, event_name text, operation text, table_name text, table_schema text,
  new record, old record, level text default 'ROW'
) returns void
language plpgsql set search_path = '' as $$
declare
  row_data jsonb;
  old_data jsonb;
begin
  if level = 'STATEMENT' then
    raise exception 'function can only be triggered for each row, not for each statement';
  end if;
  if operation in ('INSERT', 'UPDATE') then row_data := to_jsonb(new); end if;
  if operation in ('UPDATE', 'DELETE') then old_data := to_jsonb(old); end if;
  perform realtime.send(
    jsonb_build_object('old_record', old_data, 'record', row_data, 'operation', operation,
                       'table', table_name, 'schema', table_schema),
    event_name, topic_name, true);
end $$;

grant execute on function realtime.topic() to anon, authenticated, service_role;
grant execute on function realtime.send(jsonb, text, text, boolean) to anon, authenticated, service_role;

do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end $$;
