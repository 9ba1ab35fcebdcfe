-- read with `conditional`: only messages whose jsonb contains it are claimed.
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(7);

select pgmq.create('tap_cond');
select msg_id as a1 from pgmq.send('tap_cond', '{"kind": "a", "n": 1}') as s(msg_id) \gset
select msg_id as b1 from pgmq.send('tap_cond', '{"kind": "b", "n": 2}') as s(msg_id) \gset
select msg_id as a2 from pgmq.send('tap_cond', '{"kind": "a", "n": 3, "meta": {"region": "eu", "tier": 1}}') as s(msg_id) \gset
select msg_id as c1 from pgmq.send('tap_cond', '{"kind": "c", "meta": {"region": "eu"}}') as s(msg_id) \gset

select set_eq(
  $$select msg_id from pgmq.read('tap_cond', 30, 10, '{"kind": "a"}')$$,
  format('values (%s::bigint), (%s::bigint)', :a1, :a2),
  'read with conditional returns only matching messages'
);
select set_eq(
  $$select msg_id from pgmq.q_tap_cond where read_ct = 0$$,
  format('values (%s::bigint), (%s::bigint)', :b1, :c1),
  'non-matching messages are left unread'
);
select results_eq(
  $$select msg_id from pgmq.read('tap_cond', 30, 10, '{"meta": {"region": "eu"}}')$$,
  format('values (%s::bigint)', :c1),
  'conditional matches nested objects by containment, and skips hidden messages'
);
select is_empty(
  $$select * from pgmq.read('tap_cond', 30, 10, '{"kind": "zzz"}')$$,
  'a conditional nothing matches reads nothing'
);
select results_eq(
  $$select msg_id from pgmq.read(queue_name => 'tap_cond', vt => 30, qty => 10, conditional => '{}')$$,
  format('values (%s::bigint)', :b1),
  'an empty conditional reads every visible message'
);

select pgmq.create('tap_cond_limit');
select pgmq.send('tap_cond_limit', msg) from (values ('{"k": 1}'::jsonb), ('{"k": 2}'), ('{"k": 1}'), ('{"k": 1}')) v(msg);
select results_eq(
  $$select message from pgmq.read('tap_cond_limit', 30, 2, '{"k": 1}') order by msg_id$$,
  $$values ('{"k": 1}'::jsonb), ('{"k": 1}'::jsonb)$$,
  'qty limits the number of matching messages returned'
);
select is(
  (select count(*)::int from pgmq.q_tap_cond_limit where read_ct = 0 and message = '{"k": 1}'),
  1,
  'the matching message beyond qty stays unread'
);

select * from finish();
rollback;
