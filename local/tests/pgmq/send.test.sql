-- send: every documented overload, headers, and delays in seconds or as a timestamp.
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(22);

select pgmq.create('tap_send');

select clock_timestamp() as before_plain \gset
select msg_id as plain_id from pgmq.send('tap_send', '{"n": 1}') as s(msg_id) \gset
select clock_timestamp() as after_plain \gset

select results_eq(
  $$select message, headers, read_ct from pgmq.q_tap_send where msg_id = $$ || :plain_id,
  $$values ('{"n": 1}'::jsonb, null::jsonb, 0)$$,
  'send(queue, msg) stores the message without headers, unread'
);
select ok(
  (select vt between :'before_plain'::timestamptz and :'after_plain'::timestamptz
     from pgmq.q_tap_send where msg_id = :plain_id),
  'send(queue, msg) makes the message visible at once'
);
select is(
  (select count(*)::int from pgmq.send('tap_send', '{"n": 2}')),
  1,
  'send returns exactly one id'
);
select ok(
  (select max(msg_id) from pgmq.q_tap_send) > :plain_id,
  'later messages get larger ids'
);

select msg_id as headers_id from pgmq.send('tap_send', '{"n": 3}', '{"trace": "abc"}'::jsonb) as s(msg_id) \gset
select results_eq(
  $$select message, headers from pgmq.q_tap_send where msg_id = $$ || :headers_id,
  $$values ('{"n": 3}'::jsonb, '{"trace": "abc"}'::jsonb)$$,
  'send(queue, msg, headers) stores the headers'
);
select ok(
  (select vt <= clock_timestamp() from pgmq.q_tap_send where msg_id = :headers_id),
  'send(queue, msg, headers) makes the message visible at once'
);

select clock_timestamp() as before_delay \gset
select msg_id as delay_id from pgmq.send('tap_send', '{"n": 4}', 60) as s(msg_id) \gset
select clock_timestamp() as after_delay \gset
select ok(
  (select vt between :'before_delay'::timestamptz + interval '60 seconds'
                 and :'after_delay'::timestamptz + interval '60 seconds'
     from pgmq.q_tap_send where msg_id = :delay_id),
  'send(queue, msg, delay integer) hides the message for delay seconds'
);
select is(
  (select headers from pgmq.q_tap_send where msg_id = :delay_id),
  null,
  'send(queue, msg, delay integer) stores no headers'
);

select msg_id as at_id from pgmq.send('tap_send', '{"n": 5}', '2099-01-01 00:00:00+00'::timestamptz) as s(msg_id) \gset
select is(
  (select vt from pgmq.q_tap_send where msg_id = :at_id),
  '2099-01-01 00:00:00+00'::timestamptz,
  'send(queue, msg, delay timestamptz) makes the message visible at that moment'
);

select clock_timestamp() as before_hdelay \gset
select msg_id as hdelay_id from pgmq.send('tap_send', '{"n": 6}', '{"h": 6}'::jsonb, 30) as s(msg_id) \gset
select clock_timestamp() as after_hdelay \gset
select results_eq(
  $$select message, headers from pgmq.q_tap_send where msg_id = $$ || :hdelay_id,
  $$values ('{"n": 6}'::jsonb, '{"h": 6}'::jsonb)$$,
  'send(queue, msg, headers, delay integer) stores the headers'
);
select ok(
  (select vt between :'before_hdelay'::timestamptz + interval '30 seconds'
                 and :'after_hdelay'::timestamptz + interval '30 seconds'
     from pgmq.q_tap_send where msg_id = :hdelay_id),
  'send(queue, msg, headers, delay integer) hides the message for delay seconds'
);

select msg_id as hat_id from pgmq.send('tap_send', '{"n": 7}', '{"h": 7}'::jsonb, '2099-06-01 12:00:00+00'::timestamptz) as s(msg_id) \gset
select results_eq(
  $$select message, headers, vt from pgmq.q_tap_send where msg_id = $$ || :hat_id,
  $$values ('{"n": 7}'::jsonb, '{"h": 7}'::jsonb, '2099-06-01 12:00:00+00'::timestamptz)$$,
  'send(queue, msg, headers, delay timestamptz) stores headers and visibility time'
);

select msg_id as past_id from pgmq.send('tap_send', '{"n": 8}', '2000-01-01 00:00:00+00'::timestamptz) as s(msg_id) \gset
select ok(
  exists (select 1 from pgmq.read('tap_send', 30, 100) where msg_id = :past_id),
  'a message scheduled in the past is readable at once'
);

select msg_id as named_id from pgmq.send(queue_name => 'tap_send', msg => '{"n": 9}', delay => 45) as s(msg_id) \gset
select ok(
  (select vt > clock_timestamp() + interval '44 seconds' from pgmq.q_tap_send where msg_id = :named_id),
  'send accepts named arguments queue_name, msg, delay'
);
select msg_id as named_headers_id from pgmq.send(queue_name => 'tap_send', msg => '{"n": 10}', headers => '{"h": 10}') as s(msg_id) \gset
select is(
  (select headers from pgmq.q_tap_send where msg_id = :named_headers_id),
  '{"h": 10}'::jsonb,
  'send accepts headers by name'
);

select is_empty(
  format($$select 1 from pgmq.read('tap_send', 30, 100) where msg_id in (%s, %s, %s, %s, %s)$$,
         :delay_id, :at_id, :hdelay_id, :hat_id, :named_id),
  'delayed messages are not readable before their time'
);
select is(
  (select enqueued_at from pgmq.q_tap_send where msg_id = :delay_id) <= clock_timestamp(),
  true,
  'enqueued_at records when the message was sent, not when it becomes visible'
);

select msg_id as scalar_id from pgmq.send('tap_send', '"just a string"') as s(msg_id) \gset
select is(
  (select message from pgmq.q_tap_send where msg_id = :scalar_id),
  '"just a string"'::jsonb,
  'any jsonb value can be a message'
);

select throws_ok(
  $$select pgmq.send('tap_send_missing', '{}')$$,
  '42P01',
  null,
  'sending to a missing queue fails'
);
select throws_ok(
  $$select pgmq.send('tap_send_missing', '{}', 5)$$,
  '42P01',
  null,
  'sending with a delay to a missing queue fails'
);
select throws_ok(
  $$select pgmq.send('tap_send_missing', '{}', '{}'::jsonb)$$,
  '42P01',
  null,
  'sending with headers to a missing queue fails'
);
select is(
  (select count(*)::int from pgmq.q_tap_send),
  11,
  'every successful send stored one row'
);

select * from finish();
rollback;
