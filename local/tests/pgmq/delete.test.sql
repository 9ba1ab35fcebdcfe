-- delete: removes messages for good (no archive copy).
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(11);

select pgmq.create('tap_delete');
select msg_id as first_id from pgmq.send('tap_delete', '{"n": 1}') as s(msg_id) \gset
select msg_id as second_id from pgmq.send('tap_delete', '{"n": 2}') as s(msg_id) \gset
select msg_id as third_id from pgmq.send('tap_delete', '{"n": 3}') as s(msg_id) \gset
select msg_id as kept_id from pgmq.send('tap_delete', '{"n": 4}') as s(msg_id) \gset

select is(pgmq.delete('tap_delete', :first_id::bigint), true, 'delete returns true for an existing message');
select is_empty(
  format('select 1 from pgmq.q_tap_delete where msg_id = %s', :first_id),
  'the deleted message leaves the queue'
);
select is(pgmq.delete('tap_delete', :first_id::bigint), false, 'deleting an already deleted message returns false');
select is(
  pgmq.delete(queue_name => 'tap_delete', msg_id => 999999::bigint),
  false,
  'deleting a missing message returns false (arguments by name)'
);

select set_eq(
  format('select * from pgmq.delete(%L, array[%s, %s, %s, 999999]::bigint[])', 'tap_delete', :second_id, :third_id, :first_id),
  format('values (%s::bigint), (%s::bigint)', :second_id, :third_id),
  'delete of an array returns only the ids it deleted'
);
select results_eq(
  'select msg_id from pgmq.q_tap_delete',
  format('values (%s::bigint)', :kept_id),
  'messages not deleted stay in the queue'
);
select is_empty('select * from pgmq.a_tap_delete', 'deleted messages are not archived');
select is_empty(
  $$select * from pgmq.delete(queue_name => 'tap_delete', msg_ids => array[999999]::bigint[])$$,
  'delete of only missing ids returns no rows (msg_ids by name)'
);

select count(*) from pgmq.read('tap_delete', 30, 1);
select is(pgmq.delete('tap_delete', :kept_id::bigint), true, 'a message hidden by read can be deleted');
select throws_ok(
  $$select pgmq.delete('tap_delete_missing', 1::bigint)$$,
  '42P01',
  null,
  'deleting in a missing queue fails'
);
select throws_ok(
  $$select * from pgmq.delete('tap_delete_missing', array[1]::bigint[])$$,
  '42P01',
  null,
  'deleting an array in a missing queue fails'
);

select * from finish();
rollback;
