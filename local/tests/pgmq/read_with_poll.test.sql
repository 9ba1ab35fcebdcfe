-- read_with_poll: returns as soon as messages are visible, waits for them
-- up to max_poll_seconds, and gives up with no rows.
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(7);

select pgmq.create('tap_poll');
select msg_id as ready_id from pgmq.send('tap_poll', '{"ready": true}') as s(msg_id) \gset
select results_eq(
  $$select msg_id, read_ct from pgmq.read_with_poll('tap_poll', 30, 5)$$,
  format('values (%s::bigint, 1)', :ready_id),
  'a visible message is returned and claimed like read'
);
select ok(
  (select vt > clock_timestamp() + interval '29 seconds' from pgmq.q_tap_poll where msg_id = :ready_id),
  'read_with_poll hides the message for vt seconds'
);

select msg_id as soon_id from pgmq.send('tap_poll', '{"soon": true}', 1) as s(msg_id) \gset
select results_eq(
  $$select msg_id from pgmq.read_with_poll('tap_poll', 30, 5, 5, 100)$$,
  format('values (%s::bigint)', :soon_id),
  'a message that becomes visible while polling is returned'
);

select is_empty(
  $$select * from pgmq.read_with_poll('tap_poll', 30, 5, 1, 100)$$,
  'polling gives up with no rows after max_poll_seconds'
);

select msg_id as other_id from pgmq.send('tap_poll', '{"kind": "other"}') as s(msg_id) \gset
select msg_id as wanted_id from pgmq.send('tap_poll', '{"kind": "wanted"}') as s(msg_id) \gset
select results_eq(
  $$select msg_id from pgmq.read_with_poll(
      queue_name => 'tap_poll', vt => 30, qty => 5,
      max_poll_seconds => 1, poll_interval_ms => 50, conditional => '{"kind": "wanted"}')$$,
  format('values (%s::bigint)', :wanted_id),
  'read_with_poll honours conditional (all arguments by name)'
);
select is(
  (select read_ct from pgmq.q_tap_poll where msg_id = :other_id),
  0,
  'messages not matching the conditional stay unread'
);
select throws_ok(
  $$select * from pgmq.read_with_poll('tap_poll_missing', 30, 1, 1, 100)$$,
  '42P01',
  null,
  'polling a missing queue fails'
);

select * from finish();
rollback;
