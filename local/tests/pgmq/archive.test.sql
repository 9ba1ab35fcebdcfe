-- archive: moves messages from q_<name> to a_<name>, stamping archived_at.
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(14);

select pgmq.create('tap_archive');
select msg_id as first_id from pgmq.send('tap_archive', '{"n": 1}', '{"h": 1}'::jsonb) as s(msg_id) \gset
select msg_id as second_id from pgmq.send('tap_archive', '{"n": 2}') as s(msg_id) \gset
select msg_id as third_id from pgmq.send('tap_archive', '{"n": 3}') as s(msg_id) \gset
select msg_id as kept_id from pgmq.send('tap_archive', '{"n": 4}') as s(msg_id) \gset
select count(*) from pgmq.read('tap_archive', 30, 1);
create temp table before_archive as select * from pgmq.q_tap_archive where msg_id = :first_id;

select is(pgmq.archive('tap_archive', :first_id::bigint), true, 'archive returns true for an existing message');
select is_empty(
  format('select 1 from pgmq.q_tap_archive where msg_id = %s', :first_id),
  'the archived message leaves the queue'
);
select results_eq(
  format('select msg_id, read_ct, enqueued_at, vt, message, headers from pgmq.a_tap_archive where msg_id = %s', :first_id),
  'select msg_id, read_ct, enqueued_at, vt, message, headers from before_archive',
  'the archive keeps msg_id, read_ct, enqueued_at, vt, message and headers'
);
select ok(
  (select archived_at is not null and archived_at <= clock_timestamp() from pgmq.a_tap_archive where msg_id = :first_id),
  'the archived row records archived_at'
);
select is(pgmq.archive('tap_archive', :first_id::bigint), false, 'archiving an already archived message returns false');
select is(pgmq.archive('tap_archive', 999999::bigint), false, 'archiving a missing message returns false');
select is(
  pgmq.archive(queue_name => 'tap_archive', msg_id => 999999::bigint),
  false,
  'archive accepts queue_name and msg_id by name'
);

select set_eq(
  format('select * from pgmq.archive(%L, array[%s, %s, %s, 999999]::bigint[])', 'tap_archive', :second_id, :third_id, :first_id),
  format('values (%s::bigint), (%s::bigint)', :second_id, :third_id),
  'archive of an array returns only the ids it archived'
);
select set_eq(
  'select msg_id from pgmq.a_tap_archive',
  format('values (%s::bigint), (%s::bigint), (%s::bigint)', :first_id, :second_id, :third_id),
  'the archive holds every archived message once'
);
select results_eq(
  'select msg_id from pgmq.q_tap_archive',
  format('values (%s::bigint)', :kept_id),
  'messages not archived stay in the queue'
);
select is_empty(
  $$select * from pgmq.archive(queue_name => 'tap_archive', msg_ids => array[999999]::bigint[])$$,
  'archive of only missing ids returns no rows (msg_ids by name)'
);
select is_empty(
  $$select * from pgmq.archive('tap_archive', array[]::bigint[])$$,
  'archive of an empty array returns no rows'
);
select throws_ok(
  $$select pgmq.archive('tap_archive_missing', 1::bigint)$$,
  '42P01',
  null,
  'archiving in a missing queue fails'
);
select throws_ok(
  $$select * from pgmq.archive('tap_archive_missing', array[1]::bigint[])$$,
  '42P01',
  null,
  'archiving an array in a missing queue fails'
);

select * from finish();
rollback;
