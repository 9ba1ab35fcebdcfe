-- Local stand-in for the pgmq 1.5.1 extension (the version Supabase installs by
-- default), used when the real extension is not available. Where later 1.5
-- commits behave differently, it follows the 1.5.1 release. It keeps the
-- extension's schema, tables, types and function signatures so project SQL
-- and tests run unchanged against either. Partitioned queues (pg_partman) are
-- not provided. Applied on every stack start, so every statement is re-runnable.
set client_min_messages = warning;
create schema if not exists pgmq;

create table if not exists pgmq.meta (
  queue_name varchar unique not null,
  is_partitioned boolean not null,
  is_unlogged boolean not null,
  created_at timestamp with time zone default now() not null
);

-- Composite types have no "if not exists".
do $$
begin
  if to_regtype('pgmq.message_record') is null then
    create type pgmq.message_record as (
      msg_id bigint,
      read_ct integer,
      enqueued_at timestamp with time zone,
      vt timestamp with time zone,
      message jsonb,
      headers jsonb
    );
  end if;
  if to_regtype('pgmq.queue_record') is null then
    create type pgmq.queue_record as (
      queue_name varchar,
      is_partitioned boolean,
      is_unlogged boolean,
      created_at timestamp with time zone
    );
  end if;
  if to_regtype('pgmq.metrics_result') is null then
    create type pgmq.metrics_result as (
      queue_name text,
      queue_length bigint,
      newest_msg_age_sec integer,
      oldest_msg_age_sec integer,
      total_messages bigint,
      scrape_time timestamp with time zone,
      queue_visible_length bigint
    );
  end if;
end $$;

-- ---------------------------------------------------------------------------
-- Queue names
-- ---------------------------------------------------------------------------

-- Queue names end up inside dynamic SQL and object names, so characters that
-- could end a literal or a statement are refused outright.
create or replace function pgmq.format_table_name(queue_name text, prefix text)
returns text
language plpgsql immutable set search_path = '' as $$
begin
  if queue_name ~ '[$;'']' or queue_name like '%--%' then
    raise exception 'queue name contains invalid characters: $, ;, --, or ''';
  end if;
  return lower(prefix || '_' || queue_name);
end $$;

-- 47 characters is the longest name whose derived index name
-- ("archived_at_idx_" || name) still fits in a 63-byte identifier.
create or replace function pgmq.validate_queue_name(queue_name text)
returns void
language plpgsql immutable set search_path = '' as $$
begin
  if length(queue_name) > 47 then
    raise exception 'queue name is too long, maximum length is 47 characters';
  end if;
  perform pgmq.format_table_name(queue_name, 'q');
end $$;

-- ---------------------------------------------------------------------------
-- Queue management
-- ---------------------------------------------------------------------------

create or replace function pgmq._create_queue(queue_name text, unlogged boolean)
returns void
language plpgsql set search_path = '' as $$
declare
  queue_table text := pgmq.format_table_name(queue_name, 'q');
  archive_table text := pgmq.format_table_name(queue_name, 'a');
begin
  perform pgmq.validate_queue_name(queue_name);

  execute format(
    'create %s table if not exists pgmq.%I (
       msg_id bigint primary key generated always as identity,
       read_ct integer default 0 not null,
       enqueued_at timestamp with time zone default now() not null,
       vt timestamp with time zone not null,
       message jsonb,
       headers jsonb
     )',
    case when unlogged then 'unlogged' else '' end, queue_table);
  execute format('create index if not exists %I on pgmq.%I (vt asc)', queue_table || '_vt_idx', queue_table);

  -- The archive is kept even for unlogged queues: it is the audit trail.
  execute format(
    'create table if not exists pgmq.%I (
       msg_id bigint primary key,
       read_ct integer default 0 not null,
       enqueued_at timestamp with time zone default now() not null,
       archived_at timestamp with time zone default now() not null,
       vt timestamp with time zone not null,
       message jsonb,
       headers jsonb
     )',
    archive_table);
  execute format('create index if not exists %I on pgmq.%I (archived_at)',
    'archived_at_idx_' || lower(queue_name), archive_table);

  execute format('grant all on pgmq.%I, pgmq.%I to service_role', queue_table, archive_table);
  -- metrics() reads the identity sequence to report total_messages.
  execute format('grant select on sequence %s to service_role',
    pg_catalog.pg_get_serial_sequence(format('pgmq.%I', queue_table), 'msg_id'));

  insert into pgmq.meta (queue_name, is_partitioned, is_unlogged)
  values (queue_name, false, unlogged)
  on conflict do nothing;
end $$;

create or replace function pgmq.create_non_partitioned(queue_name text)
returns void
language sql set search_path = '' as $$
  select pgmq._create_queue(queue_name, false)
$$;

create or replace function pgmq.create_unlogged(queue_name text)
returns void
language sql set search_path = '' as $$
  select pgmq._create_queue(queue_name, true)
$$;

create or replace function pgmq.create(queue_name text)
returns void
language sql set search_path = '' as $$
  select pgmq.create_non_partitioned(queue_name)
$$;

-- pgmq 1.4's single drop_queue(text, boolean default false) is replaced by
-- the two 1.5 overloads; a default cannot be removed in place.
do $$
begin
  if exists (
    select 1 from pg_proc
     where oid = to_regprocedure('pgmq.drop_queue(text, boolean)') and pronargdefaults > 0
  ) then
    drop function pgmq.drop_queue(text, boolean);
  end if;
end $$;

-- As in the pgmq 1.5.1 release, dropping a queue whose table is missing
-- raises (the release detaches the table from the extension first, which
-- fails); later 1.5 commits return false with a notice instead.
create or replace function pgmq.drop_queue(queue_name text)
returns boolean
language plpgsql set search_path = '' as $$
declare
  queue_table text := pgmq.format_table_name(queue_name, 'q');
begin
  if to_regclass(format('pgmq.%I', queue_table)) is null then
    raise exception 'relation "pgmq.%" does not exist', queue_table using errcode = '42P01';
  end if;
  execute format('drop table pgmq.%I', queue_table);
  execute format('drop table if exists pgmq.%I', pgmq.format_table_name(queue_name, 'a'));
  delete from pgmq.meta m where m.queue_name = drop_queue.queue_name;
  return true;
end $$;

-- `partitioned` only mattered before 1.5; pgmq keeps the overload, without a
-- default, for old callers and warns.
create or replace function pgmq.drop_queue(queue_name text, partitioned boolean)
returns boolean
language plpgsql set search_path = '' as $$
begin
  raise warning 'drop_queue(queue_name, partitioned) is deprecated and will be removed in PGMQ v2.0. Use drop_queue(queue_name) instead';
  perform pgmq.drop_queue(queue_name);
  return true;
end $$;

create or replace function pgmq.purge_queue(queue_name text)
returns bigint
language plpgsql set search_path = '' as $$
declare
  queue_table text := pgmq.format_table_name(queue_name, 'q');
  purged bigint;
begin
  -- Lock first so the count matches exactly what the truncate removes.
  execute format('lock table pgmq.%I in access exclusive mode', queue_table);
  execute format('select count(*) from pgmq.%I', queue_table) into purged;
  execute format('truncate table pgmq.%I', queue_table);
  return purged;
end $$;

create or replace function pgmq.list_queues()
returns setof pgmq.queue_record
language sql set search_path = '' as $$
  select m.queue_name, m.is_partitioned, m.is_unlogged, m.created_at from pgmq.meta m
$$;

-- ---------------------------------------------------------------------------
-- Sending
-- ---------------------------------------------------------------------------

-- Every send overload ends here: `delay` is the moment the message becomes visible.
create or replace function pgmq.send(queue_name text, msg jsonb, headers jsonb, delay timestamp with time zone)
returns setof bigint
language plpgsql set search_path = '' as $$
begin
  return query execute format(
    'insert into pgmq.%I (vt, message, headers) values ($1, $2, $3) returning msg_id',
    pgmq.format_table_name(queue_name, 'q'))
  using delay, msg, headers;
end $$;

create or replace function pgmq.send(queue_name text, msg jsonb)
returns setof bigint
language sql set search_path = '' as $$
  select * from pgmq.send(queue_name, msg, null::jsonb, clock_timestamp())
$$;

create or replace function pgmq.send(queue_name text, msg jsonb, headers jsonb)
returns setof bigint
language sql set search_path = '' as $$
  select * from pgmq.send(queue_name, msg, headers, clock_timestamp())
$$;

create or replace function pgmq.send(queue_name text, msg jsonb, delay integer)
returns setof bigint
language sql set search_path = '' as $$
  select * from pgmq.send(queue_name, msg, null::jsonb, clock_timestamp() + make_interval(secs => delay))
$$;

create or replace function pgmq.send(queue_name text, msg jsonb, delay timestamp with time zone)
returns setof bigint
language sql set search_path = '' as $$
  select * from pgmq.send(queue_name, msg, null::jsonb, delay)
$$;

create or replace function pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer)
returns setof bigint
language sql set search_path = '' as $$
  select * from pgmq.send(queue_name, msg, headers, clock_timestamp() + make_interval(secs => delay))
$$;

-- Every send_batch overload ends here. Messages and headers are paired by
-- position; a shorter headers array leaves the remaining messages without headers.
create or replace function pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamp with time zone)
returns setof bigint
language plpgsql set search_path = '' as $$
begin
  return query execute format(
    'insert into pgmq.%I (vt, message, headers)
     select $1, unnest($2), unnest(coalesce($3, array[]::jsonb[]))
     returning msg_id',
    pgmq.format_table_name(queue_name, 'q'))
  using delay, msgs, headers;
end $$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[])
returns setof bigint
language sql set search_path = '' as $$
  select * from pgmq.send_batch(queue_name, msgs, null::jsonb[], clock_timestamp())
$$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[])
returns setof bigint
language sql set search_path = '' as $$
  select * from pgmq.send_batch(queue_name, msgs, headers, clock_timestamp())
$$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[], delay integer)
returns setof bigint
language sql set search_path = '' as $$
  select * from pgmq.send_batch(queue_name, msgs, null::jsonb[], clock_timestamp() + make_interval(secs => delay))
$$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamp with time zone)
returns setof bigint
language sql set search_path = '' as $$
  select * from pgmq.send_batch(queue_name, msgs, null::jsonb[], delay)
$$;

create or replace function pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer)
returns setof bigint
language sql set search_path = '' as $$
  select * from pgmq.send_batch(queue_name, msgs, headers, clock_timestamp() + make_interval(secs => delay))
$$;

-- ---------------------------------------------------------------------------
-- Reading
-- ---------------------------------------------------------------------------

-- Claims up to `qty` visible messages, oldest first, hiding them for `vt`
-- seconds. SKIP LOCKED lets concurrent readers claim disjoint messages
-- instead of waiting on each other.
create or replace function pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb default '{}')
returns setof pgmq.message_record
language plpgsql set search_path = '' as $$
begin
  return query execute format(
    $sql$
    with claimable as (
      select msg_id from pgmq.%1$I
       where vt <= clock_timestamp()
         and ($3 = '{}'::jsonb or message @> $3)
       order by msg_id
       limit $2
       for update skip locked
    ), claimed as (
      update pgmq.%1$I q
         set vt = clock_timestamp() + make_interval(secs => $1),
             read_ct = q.read_ct + 1
        from claimable
       where q.msg_id = claimable.msg_id
      returning q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers
    )
    select * from claimed order by msg_id
    $sql$,
    pgmq.format_table_name(queue_name, 'q'))
  using vt, qty, coalesce(conditional, '{}'::jsonb);
end $$;

create or replace function pgmq.read_with_poll(
  queue_name text,
  vt integer,
  qty integer,
  max_poll_seconds integer default 5,
  poll_interval_ms integer default 100,
  conditional jsonb default '{}'
)
returns setof pgmq.message_record
language plpgsql set search_path = '' as $$
declare
  give_up_at timestamp with time zone := clock_timestamp() + make_interval(secs => max_poll_seconds);
begin
  loop
    return query select * from pgmq.read(queue_name, vt, qty, conditional);
    if found or clock_timestamp() >= give_up_at then
      return;
    end if;
    perform pg_sleep(poll_interval_ms / 1000.0);
  end loop;
end $$;

-- At-most-once delivery: the message is gone as soon as it is returned.
create or replace function pgmq.pop(queue_name text)
returns setof pgmq.message_record
language plpgsql set search_path = '' as $$
begin
  return query execute format(
    $sql$
    with claimable as (
      select msg_id from pgmq.%1$I
       where vt <= clock_timestamp()
       order by msg_id
       limit 1
       for update skip locked
    )
    delete from pgmq.%1$I q
     using claimable
     where q.msg_id = claimable.msg_id
    returning q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers
    $sql$,
    pgmq.format_table_name(queue_name, 'q'));
end $$;

create or replace function pgmq.set_vt(queue_name text, msg_id bigint, vt integer)
returns setof pgmq.message_record
language plpgsql set search_path = '' as $$
begin
  return query execute format(
    'update pgmq.%I
        set vt = clock_timestamp() + make_interval(secs => $2)
      where msg_id = $1
     returning msg_id, read_ct, enqueued_at, vt, message, headers',
    pgmq.format_table_name(queue_name, 'q'))
  using msg_id, vt;
end $$;

-- ---------------------------------------------------------------------------
-- Acknowledging
-- ---------------------------------------------------------------------------

create or replace function pgmq.archive(queue_name text, msg_ids bigint[])
returns setof bigint
language plpgsql set search_path = '' as $$
begin
  return query execute format(
    $sql$
    with moved as (
      delete from pgmq.%I where msg_id = any($1)
      returning msg_id, read_ct, enqueued_at, vt, message, headers
    )
    insert into pgmq.%I (msg_id, read_ct, enqueued_at, vt, message, headers)
    select msg_id, read_ct, enqueued_at, vt, message, headers from moved
    returning msg_id
    $sql$,
    pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'a'))
  using msg_ids;
end $$;

create or replace function pgmq.archive(queue_name text, msg_id bigint)
returns boolean
language sql set search_path = '' as $$
  select exists (select 1 from pgmq.archive(queue_name, array[msg_id]))
$$;

create or replace function pgmq.delete(queue_name text, msg_ids bigint[])
returns setof bigint
language plpgsql set search_path = '' as $$
begin
  return query execute format(
    'delete from pgmq.%I where msg_id = any($1) returning msg_id',
    pgmq.format_table_name(queue_name, 'q'))
  using msg_ids;
end $$;

create or replace function pgmq.delete(queue_name text, msg_id bigint)
returns boolean
language sql set search_path = '' as $$
  select exists (select 1 from pgmq.delete(queue_name, array[msg_id]))
$$;

-- ---------------------------------------------------------------------------
-- Metrics
-- ---------------------------------------------------------------------------

create or replace function pgmq.metrics(queue_name text)
returns pgmq.metrics_result
language plpgsql set search_path = '' as $$
declare
  queue_table text := pgmq.format_table_name(queue_name, 'q');
  result pgmq.metrics_result;
begin
  -- As in pgmq, visibility is judged at now(), the transaction's start, so a
  -- message sent earlier in the same transaction is not counted as visible yet.
  execute format(
    $sql$
    select $1,
           count(*),
           extract(epoch from now() - max(enqueued_at))::integer,
           extract(epoch from now() - min(enqueued_at))::integer,
           coalesce(pg_sequence_last_value(%L::regclass), 0),
           now(),
           count(*) filter (where vt <= now())
      from pgmq.%I
    $sql$,
    pg_get_serial_sequence(format('pgmq.%I', queue_table), 'msg_id'), queue_table)
  into result
  using queue_name;
  return result;
end $$;

create or replace function pgmq.metrics_all()
returns setof pgmq.metrics_result
language sql set search_path = '' as $$
  select q.* from pgmq.meta m cross join lateral pgmq.metrics(m.queue_name) q
$$;

-- ---------------------------------------------------------------------------
-- Privileges: queues are a backend concern, so only postgres and service_role
-- may use them (the API roles need the explicit pgmq_public opt-in on Supabase).
-- ---------------------------------------------------------------------------

revoke all on all functions in schema pgmq from public, anon, authenticated;
revoke all on schema pgmq from public, anon, authenticated;
grant usage on schema pgmq to postgres, service_role;
grant execute on all functions in schema pgmq to postgres, service_role;
grant select on pgmq.meta to service_role;
