-- Idempotency keys are unique per owner and endpoint.
begin;
select plan(6);

insert into auth.users (id) values ('00000000-0000-4000-8000-00000000000a'), ('00000000-0000-4000-8000-00000000000b');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_idem', 'ep', 'http://runpod.test/v2');

select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000a","role":"authenticated"}', true);
set local role authenticated;
create temp table first_job on commit drop as select * from pgpod.submit('t_idem', '{"n": 1}', 'key-1');
select is((select id from pgpod.submit('t_idem', '{"n": 2}', 'key-1')), (select id from first_job),
  'a repeated key returns the first job');
select is((select input from pgpod.submit('t_idem', '{"n": 3}', 'key-1')), '{"n": 1}'::jsonb,
  'the first input is kept');
select throws_ok($$ insert into pgpod.jobs (endpoint, input, idempotency_key) values ('t_idem', '{}', 'key-1') $$,
  '23505', null, 'a plain insert with a repeated key is a unique violation');
select isnt((select id from pgpod.submit('t_idem', '{"n": 4}', 'key-2')), (select id from first_job),
  'another key makes another job');

select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000b","role":"authenticated"}', true);
select isnt((select id from pgpod.submit('t_idem', '{"n": 5}', 'key-1')), (select id from first_job),
  'the same key of another owner makes another job');

reset role;
select is((select count(*) from pgpod.jobs where endpoint = 't_idem'), 3::bigint, 'three jobs in all');

select * from finish();
rollback;
