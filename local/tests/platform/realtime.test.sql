-- Broadcast from the database: realtime.send and realtime.broadcast_changes
-- write realtime.messages as Supabase Realtime does.
begin;
select extensions.plan(7);

select realtime.send('{"hello":"world"}', 'greeting', 'room:1');
select extensions.is(
  (select payload ->> 'hello' from realtime.messages where topic = 'room:1'), 'world', 'send stores the payload');
select extensions.ok(
  (select payload ? 'id' and private and extension = 'broadcast' from realtime.messages where topic = 'room:1'),
  'send adds an id and defaults to a private broadcast');

create temp table t (id int, name text);
create function pg_temp.t_broadcast() returns trigger language plpgsql as $$
begin
  perform realtime.broadcast_changes('t:' || coalesce(new.id, old.id), tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
  return null;
end $$;
create trigger t_broadcast after insert or update on t for each row execute function pg_temp.t_broadcast();
insert into t values (7, 'a');
update t set name = 'b';

select extensions.is((select count(*)::int from realtime.messages where topic = 't:7'), 2, 'one message per row change');
select extensions.is(
  (select payload -> 'record' ->> 'name' from realtime.messages where topic = 't:7' and event = 'UPDATE'), 'b',
  'the payload carries the new record');
select extensions.is(
  (select payload -> 'old_record' ->> 'name' from realtime.messages where topic = 't:7' and event = 'UPDATE'), 'a',
  'and the old record');
select extensions.throws_ok(
  $$ select realtime.broadcast_changes('x', 'e', 'INSERT', 't', 'public', null::record, null::record, 'STATEMENT') $$,
  null, 'statement-level broadcasts are refused');
select extensions.ok(exists (select 1 from pg_publication where pubname = 'supabase_realtime'),
  'the supabase_realtime publication exists');

select * from extensions.finish();
rollback;
