-- metrics / metrics_all: queue length, visible length, total sent, message ages.
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(14);

select pgmq.create('tap_metrics');
select pgmq.create('tap_metrics_empty');

select results_eq(
  $$select queue_name, queue_length, queue_visible_length from pgmq.metrics('tap_metrics_empty')$$,
  $$values ('tap_metrics_empty'::text, 0::bigint, 0::bigint)$$,
  'an empty queue has no messages'
);

-- metrics judges visibility at now(), the start of this transaction, so the
-- messages meant to be visible are sent with a visibility time before it.
select pgmq.send_batch('tap_metrics', array['{"n": 1}', '{"n": 2}', '{"n": 3}', '{"n": 4}']::jsonb[], now() - interval '1 minute');
select msg_id as delayed_id from pgmq.send('tap_metrics', '{"n": 5}', 60) as s(msg_id) \gset
select count(*) from pgmq.read('tap_metrics', 30, 1);

select results_eq(
  $$select queue_length, queue_visible_length, total_messages from pgmq.metrics('tap_metrics')$$,
  $$values (5::bigint, 3::bigint, 5::bigint)$$,
  'metrics counts all messages, the visible ones, and every message ever sent'
);

select pgmq.create('tap_metrics_same_tx');
select pgmq.send('tap_metrics_same_tx', '{"n": 1}');
select results_eq(
  $$select queue_length, queue_visible_length from pgmq.metrics('tap_metrics_same_tx')$$,
  $$values (1::bigint, 0::bigint)$$,
  'a message sent earlier in the same transaction is not visible to metrics yet (vt is after now())'
);
select is(
  (select count(*)::int from pgmq.read('tap_metrics_same_tx', 0, 1)),
  1,
  'although read, which goes by the clock, can already take it'
);
select ok(
  (select newest_msg_age_sec >= 0 and oldest_msg_age_sec >= newest_msg_age_sec from pgmq.metrics('tap_metrics')),
  'message ages are non-negative and the oldest is at least as old as the newest'
);
select ok(
  (select scrape_time is not null and scrape_time <= clock_timestamp() from pgmq.metrics('tap_metrics')),
  'metrics reports when it was taken'
);

select pgmq.delete('tap_metrics', :delayed_id::bigint);
select pgmq.archive('tap_metrics', (select min(msg_id) from pgmq.q_tap_metrics));
select results_eq(
  $$select queue_length, queue_visible_length, total_messages from pgmq.metrics('tap_metrics')$$,
  $$values (3::bigint, 3::bigint, 5::bigint)$$,
  'deleted and archived messages leave the queue length but still count in total_messages'
);
select is(
  (select count(*)::int from pgmq.metrics(queue_name => 'tap_metrics')),
  1,
  'metrics accepts queue_name by name and returns one row'
);

select set_has(
  $$select queue_name from pgmq.metrics_all()$$,
  $$values ('tap_metrics'::text), ('tap_metrics_empty'::text)$$,
  'metrics_all reports every queue'
);
select is(
  (select count(*)::int from pgmq.metrics_all()),
  (select count(*)::int from pgmq.list_queues()),
  'metrics_all has one row per queue'
);
select results_eq(
  $$select queue_length, queue_visible_length, total_messages from pgmq.metrics_all() where queue_name = 'tap_metrics'$$,
  $$select queue_length, queue_visible_length, total_messages from pgmq.metrics('tap_metrics')$$,
  'metrics_all agrees with metrics for a queue'
);
select results_eq(
  $$select queue_length from pgmq.metrics_all() where queue_name = 'tap_metrics_empty'$$,
  $$values (0::bigint)$$,
  'metrics_all includes empty queues'
);

select pgmq.drop_queue('tap_metrics_empty');
select is_empty(
  $$select 1 from pgmq.metrics_all() where queue_name = 'tap_metrics_empty'$$,
  'a dropped queue leaves metrics_all'
);
select throws_ok(
  $$select pgmq.metrics('tap_metrics_missing')$$,
  '42P01',
  null,
  'metrics of a missing queue fails'
);

select * from finish();
rollback;
