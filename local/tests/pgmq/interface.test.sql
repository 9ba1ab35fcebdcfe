-- The pgmq 1.5.1 interface: exact signatures (argument names, types,
-- defaults, return types) and the shapes of its types.
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(38);

select ok(
  exists (
    select 1 from pg_proc p
     where p.pronamespace = 'pgmq'::regnamespace
       and format('%s(%s) returns %s', p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid)) = expected
  ),
  expected
)
from (values
  ('create(queue_name text) returns void'),
  ('create_non_partitioned(queue_name text) returns void'),
  ('create_unlogged(queue_name text) returns void'),
  ('drop_queue(queue_name text) returns boolean'),
  ('drop_queue(queue_name text, partitioned boolean) returns boolean'),
  ('purge_queue(queue_name text) returns bigint'),
  ('list_queues() returns SETOF pgmq.queue_record'),
  ('metrics(queue_name text) returns pgmq.metrics_result'),
  ('metrics_all() returns SETOF pgmq.metrics_result'),
  ('send(queue_name text, msg jsonb) returns SETOF bigint'),
  ('send(queue_name text, msg jsonb, headers jsonb) returns SETOF bigint'),
  ('send(queue_name text, msg jsonb, delay integer) returns SETOF bigint'),
  ('send(queue_name text, msg jsonb, delay timestamp with time zone) returns SETOF bigint'),
  ('send(queue_name text, msg jsonb, headers jsonb, delay integer) returns SETOF bigint'),
  ('send(queue_name text, msg jsonb, headers jsonb, delay timestamp with time zone) returns SETOF bigint'),
  ('send_batch(queue_name text, msgs jsonb[]) returns SETOF bigint'),
  ('send_batch(queue_name text, msgs jsonb[], headers jsonb[]) returns SETOF bigint'),
  ('send_batch(queue_name text, msgs jsonb[], delay integer) returns SETOF bigint'),
  ('send_batch(queue_name text, msgs jsonb[], delay timestamp with time zone) returns SETOF bigint'),
  ('send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer) returns SETOF bigint'),
  ('send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamp with time zone) returns SETOF bigint'),
  ('read(queue_name text, vt integer, qty integer, conditional jsonb DEFAULT ''{}''::jsonb) returns SETOF pgmq.message_record'),
  ('read_with_poll(queue_name text, vt integer, qty integer, max_poll_seconds integer DEFAULT 5, poll_interval_ms integer DEFAULT 100, conditional jsonb DEFAULT ''{}''::jsonb) returns SETOF pgmq.message_record'),
  ('pop(queue_name text) returns SETOF pgmq.message_record'),
  ('archive(queue_name text, msg_id bigint) returns boolean'),
  ('archive(queue_name text, msg_ids bigint[]) returns SETOF bigint'),
  ('delete(queue_name text, msg_id bigint) returns boolean'),
  ('delete(queue_name text, msg_ids bigint[]) returns SETOF bigint'),
  ('set_vt(queue_name text, msg_id bigint, vt integer) returns SETOF pgmq.message_record'),
  ('format_table_name(queue_name text, prefix text) returns text')
) as signatures(expected);

select has_function('pgmq', 'validate_queue_name', array['text'], 'validate_queue_name(text) exists');

select is(
  (select count(*)::int from pg_proc where pronamespace = 'pgmq'::regnamespace and proname = 'drop_queue'),
  2,
  'drop_queue has two overloads: drop_queue(name) and the deprecated drop_queue(name, partitioned)'
);
select is(
  (select pronargdefaults::int from pg_proc where oid = 'pgmq.drop_queue(text, boolean)'::regprocedure),
  0,
  'the deprecated drop_queue(name, partitioned) has no default, so drop_queue(name) is never ambiguous'
);
select lives_ok(
  $$select pgmq.create('tap_iface'); select pgmq.drop_queue(queue_name => 'tap_iface')$$,
  'drop_queue(queue_name => ...) resolves to the one-argument overload'
);

select results_eq(
  $$select a.attname::text collate "default", format_type(a.atttypid, a.atttypmod)
      from pg_attribute a
     where a.attrelid = (select typrelid from pg_type where oid = 'pgmq.message_record'::regtype)
       and a.attnum > 0 and not a.attisdropped
     order by a.attnum$$,
  $$values ('msg_id', 'bigint'), ('read_ct', 'integer'), ('enqueued_at', 'timestamp with time zone'),
           ('vt', 'timestamp with time zone'), ('message', 'jsonb'), ('headers', 'jsonb')$$,
  'pgmq.message_record has the 1.5 attributes'
);

select results_eq(
  $$select a.attname::text collate "default", format_type(a.atttypid, a.atttypmod)
      from pg_attribute a
     where a.attrelid = (select typrelid from pg_type where oid = 'pgmq.queue_record'::regtype)
       and a.attnum > 0 and not a.attisdropped
     order by a.attnum$$,
  $$values ('queue_name', 'character varying'), ('is_partitioned', 'boolean'),
           ('is_unlogged', 'boolean'), ('created_at', 'timestamp with time zone')$$,
  'pgmq.queue_record has the 1.5 attributes'
);

select results_eq(
  $$select a.attname::text collate "default", format_type(a.atttypid, a.atttypmod)
      from pg_attribute a
     where a.attrelid = (select typrelid from pg_type where oid = 'pgmq.metrics_result'::regtype)
       and a.attnum > 0 and not a.attisdropped
     order by a.attnum$$,
  $$values ('queue_name', 'text'), ('queue_length', 'bigint'), ('newest_msg_age_sec', 'integer'),
           ('oldest_msg_age_sec', 'integer'), ('total_messages', 'bigint'),
           ('scrape_time', 'timestamp with time zone'), ('queue_visible_length', 'bigint')$$,
  'pgmq.metrics_result has the 1.5 attributes'
);

select results_eq(
  $$select a.attname::text collate "default", format_type(a.atttypid, a.atttypmod), a.attnotnull
      from pg_attribute a
     where a.attrelid = 'pgmq.meta'::regclass and a.attnum > 0 and not a.attisdropped
     order by a.attnum$$,
  $$values ('queue_name', 'character varying', true), ('is_partitioned', 'boolean', true),
           ('is_unlogged', 'boolean', true), ('created_at', 'timestamp with time zone', true)$$,
  'pgmq.meta has the 1.5 columns'
);

select * from finish();
rollback;
