-- pop: takes the oldest visible message and deletes it in the same step.
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(9);

select pgmq.create('tap_pop');
select msg_id as first_id from pgmq.send('tap_pop', '{"n": 1}', '{"h": 1}'::jsonb) as s(msg_id) \gset
select msg_id as second_id from pgmq.send('tap_pop', '{"n": 2}') as s(msg_id) \gset
select msg_id as hidden_id from pgmq.send('tap_pop', '{"n": 3}', 60) as s(msg_id) \gset

select results_eq(
  $$select msg_id, message, headers from pgmq.pop('tap_pop')$$,
  format($$values (%s::bigint, '{"n": 1}'::jsonb, '{"h": 1}'::jsonb)$$, :first_id),
  'pop returns the oldest visible message with its headers'
);
select is_empty(
  format('select 1 from pgmq.q_tap_pop where msg_id = %s', :first_id),
  'the popped message is deleted from the queue'
);
select is_empty(
  format('select 1 from pgmq.a_tap_pop where msg_id = %s', :first_id),
  'the popped message is not archived'
);
select is(
  (select count(*)::int from pgmq.pop('tap_pop')),
  1,
  'pop returns at most one message'
);
select is_empty(
  format('select 1 from pgmq.q_tap_pop where msg_id = %s', :second_id),
  'the next pop took the next message'
);
select is_empty(
  $$select * from pgmq.pop('tap_pop')$$,
  'pop skips messages that are not visible yet'
);
select is(
  (select count(*)::int from pgmq.q_tap_pop where msg_id = :hidden_id),
  1,
  'the hidden message stays in the queue'
);

select pgmq.create('tap_pop_empty');
select is_empty($$select * from pgmq.pop('tap_pop_empty')$$, 'pop on an empty queue returns no rows');
select throws_ok(
  $$select * from pgmq.pop('tap_pop_missing')$$,
  '42P01',
  null,
  'popping a missing queue fails'
);

select * from finish();
rollback;
