-- read: visible messages in msg_id order, hidden for vt seconds, read_ct counted.
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(16);

select pgmq.create('tap_read');
select msg_id as first_id from pgmq.send('tap_read', '{"n": 1}', '{"h": 1}'::jsonb) as s(msg_id) \gset
select msg_id as second_id from pgmq.send('tap_read', '{"n": 2}') as s(msg_id) \gset
select msg_id as third_id from pgmq.send('tap_read', '{"n": 3}') as s(msg_id) \gset

select clock_timestamp() as before_read \gset
create temp table first_read as select * from pgmq.read('tap_read', 30, 2);
select clock_timestamp() as after_read \gset

select set_eq(
  'select msg_id from first_read',
  format('values (%s::bigint), (%s::bigint)', :first_id, :second_id),
  'read returns the oldest visible messages, up to qty'
);
select results_eq(
  $$select message, headers, read_ct from first_read order by msg_id$$,
  $$values ('{"n": 1}'::jsonb, '{"h": 1}'::jsonb, 1), ('{"n": 2}'::jsonb, null::jsonb, 1)$$,
  'read returns message, headers and the incremented read_ct'
);
select ok(
  (select bool_and(vt between :'before_read'::timestamptz + interval '30 seconds'
                          and :'after_read'::timestamptz + interval '30 seconds') from first_read),
  'read hides the messages for vt seconds from now'
);
select set_eq(
  'select msg_id, read_ct, vt from first_read',
  format('select msg_id, read_ct, vt from pgmq.q_tap_read where msg_id in (%s, %s)', :first_id, :second_id),
  'the returned read_ct and vt are what the queue table now holds'
);
select ok(
  (select bool_and(f.enqueued_at = q.enqueued_at) from first_read f join pgmq.q_tap_read q using (msg_id)),
  'read returns the original enqueued_at'
);

select results_eq(
  $$select msg_id from pgmq.read('tap_read', 30, 10)$$,
  format('values (%s::bigint)', :third_id),
  'a second read only gets the message still visible'
);
select is_empty(
  $$select * from pgmq.read('tap_read', 30, 10)$$,
  'nothing is readable while every message is hidden'
);
select is(
  (select count(*)::int from pgmq.q_tap_read),
  3,
  'reading does not remove messages'
);

select pgmq.create('tap_read_again');
select msg_id as again_id from pgmq.send('tap_read_again', '{"again": true}') as s(msg_id) \gset
select results_eq(
  $$select msg_id, read_ct from pgmq.read('tap_read_again', 0, 1)$$,
  format('values (%s::bigint, 1)', :again_id),
  'read with vt 0 claims the message'
);
select results_eq(
  $$select msg_id, read_ct from pgmq.read('tap_read_again', 0, 1)$$,
  format('values (%s::bigint, 2)', :again_id),
  'with vt 0 the message is visible again at once and read_ct counts every read'
);
select results_eq(
  $$select read_ct from pgmq.read(queue_name => 'tap_read_again', vt => 0, qty => 1)$$,
  $$values (3)$$,
  'read accepts named arguments queue_name, vt, qty'
);
select is_empty(
  $$select * from pgmq.read('tap_read_again', 30, 0)$$,
  'qty 0 reads nothing'
);
select is(
  (select read_ct from pgmq.q_tap_read_again where msg_id = :again_id),
  3,
  'a read of qty 0 leaves messages untouched'
);

select pgmq.create('tap_read_empty');
select is_empty(
  $$select * from pgmq.read('tap_read_empty', 30, 5)$$,
  'reading an empty queue returns no rows'
);
select results_eq(
  $$select count(*)::int from pgmq.read('tap_read', 30, 5) union all
    select count(*)::int from pgmq.q_tap_read where read_ct = 1$$,
  $$values (0), (3)$$,
  'an empty read changes no read_ct'
);
select throws_ok(
  $$select * from pgmq.read('tap_read_missing', 30, 1)$$,
  '42P01',
  null,
  'reading a missing queue fails'
);

select * from finish();
rollback;
