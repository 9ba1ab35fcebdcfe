-- Queue names: at most 47 characters, no $ ; -- or ', lowercased for table names.
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(20);

select lives_ok(
  format('select pgmq.create(%L)', 'tap_' || repeat('x', 43)),
  'a 47-character queue name is accepted'
);
select has_table('pgmq', 'q_tap_' || repeat('x', 43), 'the 47-character queue has its table');
select throws_ok(
  format('select pgmq.create(%L)', 'tap_' || repeat('x', 44)),
  'P0001',
  null,
  'a 48-character queue name is rejected'
);
select is_empty(
  format('select 1 from pgmq.list_queues() where queue_name = %L', 'tap_' || repeat('x', 44)),
  'a rejected queue is not listed'
);
select hasnt_table('pgmq', 'q_tap_' || repeat('x', 44), 'a rejected queue has no table');

select throws_ok($$select pgmq.create('tap_bad$name')$$, 'P0001', null, 'a queue name with $ is rejected');
select throws_ok($$select pgmq.create('tap_bad;name')$$, 'P0001', null, 'a queue name with ; is rejected');
select throws_ok($$select pgmq.create('tap_bad--name')$$, 'P0001', null, 'a queue name with -- is rejected');
select throws_ok($$select pgmq.create('tap_bad''name')$$, 'P0001', null, 'a queue name with a quote is rejected');
select throws_ok(
  $$select pgmq.send('tap_x''; drop table pgmq.meta; --', '{}')$$,
  'P0001',
  null,
  'unsafe names are rejected by the other functions too'
);
select has_table('pgmq', 'meta', 'the injection attempt changed nothing');

select lives_ok(
  format('select pgmq.validate_queue_name(%L)', repeat('v', 47)),
  'validate_queue_name accepts 47 characters'
);
select throws_ok(
  format('select pgmq.validate_queue_name(%L)', repeat('v', 48)),
  'P0001',
  null,
  'validate_queue_name rejects 48 characters'
);

select is(pgmq.format_table_name('Tap_Mixed', 'q'), 'q_tap_mixed', 'format_table_name lowercases and prefixes');
select is(pgmq.format_table_name('tap_jobs', 'a'), 'a_tap_jobs', 'format_table_name builds archive table names');
select throws_ok($$select pgmq.format_table_name('tap;x', 'q')$$, 'P0001', null, 'format_table_name rejects unsafe names');

select pgmq.create('Tap_Mixed');
select has_table('pgmq', 'q_tap_mixed', 'a mixed-case queue name gets a lowercase table');
select msg_id as mixed_id from pgmq.send('Tap_Mixed', '{"mixed": true}') as s(msg_id) \gset
select results_eq(
  $$select msg_id, message from pgmq.read('Tap_Mixed', 30, 1)$$,
  format($$values (%s::bigint, '{"mixed": true}'::jsonb)$$, :mixed_id),
  'a mixed-case queue is used by its original name'
);

select pgmq.create('tap-hyphen');
select msg_id as hyphen_id from pgmq.send('tap-hyphen', '{"hyphen": true}') as s(msg_id) \gset
select results_eq(
  $$select msg_id from pgmq.pop('tap-hyphen')$$,
  format('values (%s::bigint)', :hyphen_id),
  'queue names may contain hyphens'
);
select is(pgmq.drop_queue('tap-hyphen'), true, 'a hyphenated queue can be dropped');

select * from finish();
rollback;
