-- send_batch: every documented overload; one id per message, in order.
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(16);

select pgmq.create('tap_batch');

create temp table plain_ids as
  select msg_id from pgmq.send_batch('tap_batch', array['{"n": 1}', '{"n": 2}', '{"n": 3}']::jsonb[]) as s(msg_id);
select is((select count(*)::int from plain_ids), 3, 'send_batch returns one id per message');
select results_eq(
  $$select message, headers, read_ct from pgmq.q_tap_batch where msg_id in (select msg_id from plain_ids) order by msg_id$$,
  $$values ('{"n": 1}'::jsonb, null::jsonb, 0), ('{"n": 2}'::jsonb, null::jsonb, 0), ('{"n": 3}'::jsonb, null::jsonb, 0)$$,
  'messages are stored in array order, without headers, unread'
);
select ok(
  (select bool_and(vt <= clock_timestamp()) from pgmq.q_tap_batch where msg_id in (select msg_id from plain_ids)),
  'send_batch(queue, msgs) makes the messages visible at once'
);

create temp table header_ids as
  select msg_id from pgmq.send_batch('tap_batch', array['{"n": 4}', '{"n": 5}']::jsonb[],
                                     array['{"h": 4}', '{"h": 5}']::jsonb[]) as s(msg_id);
select results_eq(
  $$select message, headers from pgmq.q_tap_batch where msg_id in (select msg_id from header_ids) order by msg_id$$,
  $$values ('{"n": 4}'::jsonb, '{"h": 4}'::jsonb), ('{"n": 5}'::jsonb, '{"h": 5}'::jsonb)$$,
  'send_batch(queue, msgs, headers) pairs headers with messages by position'
);

create temp table short_header_ids as
  select msg_id from pgmq.send_batch('tap_batch', array['{"n": 6}', '{"n": 7}']::jsonb[],
                                     array['{"h": 6}']::jsonb[]) as s(msg_id);
select results_eq(
  $$select message, headers from pgmq.q_tap_batch where msg_id in (select msg_id from short_header_ids) order by msg_id$$,
  $$values ('{"n": 6}'::jsonb, '{"h": 6}'::jsonb), ('{"n": 7}'::jsonb, null::jsonb)$$,
  'messages beyond the headers array get no headers'
);

select clock_timestamp() as before_delay \gset
create temp table delay_ids as
  select msg_id from pgmq.send_batch('tap_batch', array['{"n": 8}', '{"n": 9}']::jsonb[], 60) as s(msg_id);
select clock_timestamp() as after_delay \gset
select ok(
  (select bool_and(vt between :'before_delay'::timestamptz + interval '60 seconds'
                          and :'after_delay'::timestamptz + interval '60 seconds')
     from pgmq.q_tap_batch where msg_id in (select msg_id from delay_ids)),
  'send_batch(queue, msgs, delay integer) hides every message for delay seconds'
);
select is((select count(*)::int from delay_ids), 2, 'the delayed batch returns one id per message');

create temp table at_ids as
  select msg_id from pgmq.send_batch('tap_batch', array['{"n": 10}']::jsonb[], '2099-01-01 00:00:00+00'::timestamptz) as s(msg_id);
select is(
  (select vt from pgmq.q_tap_batch where msg_id in (select msg_id from at_ids)),
  '2099-01-01 00:00:00+00'::timestamptz,
  'send_batch(queue, msgs, delay timestamptz) makes messages visible at that moment'
);

create temp table header_delay_ids as
  select msg_id from pgmq.send_batch('tap_batch', array['{"n": 11}']::jsonb[], array['{"h": 11}']::jsonb[], 30) as s(msg_id);
select results_eq(
  $$select headers, vt > clock_timestamp() + interval '29 seconds'
      from pgmq.q_tap_batch where msg_id in (select msg_id from header_delay_ids)$$,
  $$values ('{"h": 11}'::jsonb, true)$$,
  'send_batch(queue, msgs, headers, delay integer) stores headers and the delay'
);

create temp table header_at_ids as
  select msg_id from pgmq.send_batch('tap_batch', array['{"n": 12}']::jsonb[], array['{"h": 12}']::jsonb[],
                                     '2099-06-01 12:00:00+00'::timestamptz) as s(msg_id);
select results_eq(
  $$select headers, vt from pgmq.q_tap_batch where msg_id in (select msg_id from header_at_ids)$$,
  $$values ('{"h": 12}'::jsonb, '2099-06-01 12:00:00+00'::timestamptz)$$,
  'send_batch(queue, msgs, headers, delay timestamptz) stores headers and visibility time'
);

select is_empty(
  $$select * from pgmq.read('tap_batch', 30, 100)
     where msg_id in (select msg_id from delay_ids union all select msg_id from at_ids
                      union all select msg_id from header_delay_ids union all select msg_id from header_at_ids)$$,
  'delayed batch messages are not readable before their time'
);

select is(
  (select count(*)::int from pgmq.send_batch(queue_name => 'tap_batch', msgs => array['{"n": 13}']::jsonb[], delay => 5)),
  1,
  'send_batch accepts queue_name, msgs, delay by name'
);
select is(
  (select count(*)::int from pgmq.send_batch(queue_name => 'tap_batch', msgs => array['{"n": 14}']::jsonb[],
                                             headers => array['{"h": 14}']::jsonb[])),
  1,
  'send_batch accepts headers by name'
);
select is_empty(
  $$select * from pgmq.send_batch('tap_batch', array[]::jsonb[])$$,
  'an empty batch sends nothing'
);
select is((select count(*)::int from pgmq.q_tap_batch), 14, 'every batched message was stored once');
select throws_ok(
  $$select pgmq.send_batch('tap_batch_missing', array['{}']::jsonb[])$$,
  '42P01',
  null,
  'sending a batch to a missing queue fails'
);

select * from finish();
rollback;
