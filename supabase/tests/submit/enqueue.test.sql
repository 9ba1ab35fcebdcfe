-- Submitting enqueues in the same transaction, owned by the caller.
begin;
select plan(8);

insert into auth.users (id) values ('00000000-0000-4000-8000-00000000000a'), ('00000000-0000-4000-8000-00000000000b');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_attempts) values ('t_enq', 'ep', 'http://runpod.test/v2', 4);

select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000a","role":"authenticated"}', true);
set local role authenticated;
create temp table j on commit drop as select * from pgpod.submit('t_enq', '{"n": 1}');
create temp table later on commit drop as select * from pgpod.submit('t_enq', '{"n": 2}', null, now() + interval '1 hour');

select is((select owner_id from j), '00000000-0000-4000-8000-00000000000a'::uuid, 'the owner is auth.uid()');
select is((select (status, attempt, max_attempts)::text from j), '(queued,0,4)', 'a job starts queued with the endpoint''s attempt budget');
select throws_ok(
  $$ insert into pgpod.jobs (endpoint, input, owner_id) values ('t_enq', '{}', '00000000-0000-4000-8000-00000000000b') $$,
  '42501', null, 'a client cannot submit for someone else');
select throws_ok($$ insert into pgpod.jobs (endpoint, input, status) values ('t_enq', '{}', 'succeeded') $$,
  '42501', null, 'a client cannot choose the status');

reset role;
select is((select count(*) from pgmq.q_pgpod_t_enq where message ->> 'job_id' = (select id::text from j) and vt <= clock_timestamp()),
  1::bigint, 'the job has a visible message');
select ok((select vt > now() + interval '59 minutes' from pgmq.q_pgpod_t_enq where message ->> 'job_id' = (select id::text from later)),
  'run_after delays the message');

savepoint before_bad;
insert into pgpod.jobs (endpoint, input, owner_id) values ('t_enq', '{"n": 3}', '00000000-0000-4000-8000-00000000000b');
rollback to savepoint before_bad;
select is((select count(*) from pgmq.q_pgpod_t_enq), 2::bigint, 'a rolled-back insert leaves no message');

insert into pgpod.jobs (endpoint, input, status, attempt, output)
values ('t_enq', '{"n": 4}', 'succeeded', 7, '{"x": 1}');
select is((select (status, attempt, output)::text from pgpod.jobs where input = '{"n": 4}'), '(queued,0,)',
  'even a service insert starts at the beginning');

select * from finish();
rollback;
