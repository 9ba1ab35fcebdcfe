-- set_vt: moves a message's visibility time to `vt` seconds from now.
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(9);

select pgmq.create('tap_set_vt');
select msg_id as msg from pgmq.send('tap_set_vt', '{"n": 1}', '{"h": 1}'::jsonb) as s(msg_id) \gset
select count(*) from pgmq.read('tap_set_vt', 30, 1);

select clock_timestamp() as before_hide \gset
create temp table hidden as select * from pgmq.set_vt('tap_set_vt', :msg::bigint, 120);
select clock_timestamp() as after_hide \gset

select results_eq(
  'select msg_id, read_ct, message, headers from hidden',
  format($$values (%s::bigint, 1, '{"n": 1}'::jsonb, '{"h": 1}'::jsonb)$$, :msg),
  'set_vt returns the message with read_ct unchanged'
);
select ok(
  (select vt between :'before_hide'::timestamptz + interval '120 seconds'
                 and :'after_hide'::timestamptz + interval '120 seconds' from hidden),
  'set_vt returns the new vt, vt seconds from now'
);
select is(
  (select vt from pgmq.q_tap_set_vt where msg_id = :msg),
  (select vt from hidden),
  'set_vt stores the new vt'
);

select is(
  (select count(*)::int from pgmq.set_vt('tap_set_vt', :msg::bigint, 0)),
  1,
  'set_vt 0 makes a hidden message visible'
);
select results_eq(
  $$select msg_id, read_ct from pgmq.read('tap_set_vt', 30, 1)$$,
  format('values (%s::bigint, 2)', :msg),
  'the message is readable again after set_vt 0'
);

select pgmq.create('tap_set_vt_hide');
select msg_id as visible from pgmq.send('tap_set_vt_hide', '{"n": 2}') as s(msg_id) \gset
select is(
  (select count(*)::int from pgmq.set_vt(queue_name => 'tap_set_vt_hide', msg_id => :visible::bigint, vt => 60)),
  1,
  'set_vt accepts queue_name, msg_id and vt by name'
);
select is_empty(
  $$select * from pgmq.read('tap_set_vt_hide', 30, 1)$$,
  'set_vt can hide a visible message that was never read'
);

select is_empty(
  $$select * from pgmq.set_vt('tap_set_vt', 999999, 10)$$,
  'set_vt on a missing message returns no rows'
);
select throws_ok(
  $$select * from pgmq.set_vt('tap_set_vt_missing', 1, 10)$$,
  '42P01',
  null,
  'set_vt in a missing queue fails'
);

select * from finish();
rollback;
