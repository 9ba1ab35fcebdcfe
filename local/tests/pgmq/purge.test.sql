-- purge_queue: empties the queue (not the archive) and returns how many it removed.
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(7);

select pgmq.create('tap_purge');
select pgmq.send_batch('tap_purge', array['{"n": 1}', '{"n": 2}', '{"n": 3}', '{"n": 4}']::jsonb[]);
select pgmq.send('tap_purge', '{"n": 5}', 60);
select pgmq.archive('tap_purge', (select min(msg_id) from pgmq.q_tap_purge));
select count(*) from pgmq.read('tap_purge', 30, 1);

select is(pgmq.purge_queue('tap_purge'), 4::bigint, 'purge_queue returns the number of messages removed, hidden ones included');
select is_empty('select * from pgmq.q_tap_purge', 'the queue is empty after purging');
select is((select count(*)::int from pgmq.a_tap_purge), 1, 'purging leaves the archive alone');
select is(pgmq.purge_queue(queue_name => 'tap_purge'), 0::bigint, 'purging an empty queue returns 0 (queue_name by name)');
select ok(
  exists (select 1 from pgmq.list_queues() where queue_name = 'tap_purge'),
  'a purged queue still exists'
);
select msg_id as after_id from pgmq.send('tap_purge', '{"after": true}') as s(msg_id) \gset
select results_eq(
  $$select msg_id, message from pgmq.read('tap_purge', 30, 10)$$,
  format($$values (%s::bigint, '{"after": true}'::jsonb)$$, :after_id),
  'a purged queue accepts and delivers new messages'
);
select throws_ok(
  $$select pgmq.purge_queue('tap_purge_missing')$$,
  '42P01',
  null,
  'purging a missing queue fails'
);

select * from finish();
rollback;
