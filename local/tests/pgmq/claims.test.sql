-- Consumers claim disjoint sets of messages: a claimed message is hidden from
-- every later read and pop until its vt passes. (Skipping rows another
-- transaction has locked needs a second session, which pgTAP does not have.)
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(8);

select pgmq.create('tap_claims');
create temp table sent as
  select msg_id from pgmq.send_batch('tap_claims',
    array['{"n": 1}', '{"n": 2}', '{"n": 3}', '{"n": 4}', '{"n": 5}', '{"n": 6}']::jsonb[]) as s(msg_id);

create temp table claim_a as select msg_id from pgmq.read('tap_claims', 30, 2);
create temp table claim_b as select msg_id from pgmq.read('tap_claims', 30, 2);
create temp table claim_c as select msg_id from pgmq.read('tap_claims', 30, 10);

select is((select count(*)::int from claim_a), 2, 'the first consumer claims its qty');
select is((select count(*)::int from claim_b), 2, 'the second consumer claims its qty');
select is_empty(
  'select msg_id from claim_a intersect select msg_id from claim_b',
  'two consumers never claim the same message'
);
select set_eq(
  'select msg_id from claim_c',
  'select msg_id from sent except select msg_id from claim_a except select msg_id from claim_b',
  'a third consumer gets exactly the messages nobody claimed'
);
select bag_eq(
  'select msg_id from claim_a union all select msg_id from claim_b union all select msg_id from claim_c',
  'select msg_id from sent',
  'together the consumers received every message exactly once'
);
select is_empty($$select * from pgmq.pop('tap_claims')$$, 'pop does not take claimed messages');

select count(*) from pgmq.set_vt('tap_claims', (select min(msg_id) from claim_b), 0);
select results_eq(
  $$select msg_id, read_ct from pgmq.read('tap_claims', 30, 10)$$,
  $$select min(msg_id), 2 from claim_b$$,
  'a claim that expires makes only that message claimable again'
);
select results_eq(
  $$select read_ct, count(*)::int from pgmq.q_tap_claims group by read_ct order by read_ct$$,
  $$values (1, 5), (2, 1)$$,
  'each claim counted one read'
);

select * from finish();
rollback;
