-- User B can neither read, change, cancel, retry nor submit as user A; anon gets nothing.
begin;
select plan(14);

insert into auth.users (id) values ('00000000-0000-4000-8000-00000000000a'), ('00000000-0000-4000-8000-00000000000b');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_attempts) values ('t_rls', 'ep', 'http://runpod.test/v2', 1);
insert into pgpod.jobs (id, endpoint, input, owner_id)
values ('00000000-0000-4000-8000-0000000000a1', 't_rls', '{"secret": "a"}', '00000000-0000-4000-8000-00000000000a'),
       ('00000000-0000-4000-8000-0000000000a2', 't_rls', '{"secret": "a2"}', '00000000-0000-4000-8000-00000000000a');
create temp table c on commit drop as select * from pgpod.claim_runs('t_rls', 1);
select pgpod.complete_run((select run_id from c), 1, jsonb_build_object('id', 'rp', 'status', 'COMPLETED', 'output', '{}'::jsonb),
  jsonb_build_array(jsonb_build_object('job_id', '00000000-0000-4000-8000-0000000000a1', 'index', 0, 'filename', 'a.png',
                                       'bucket', 'pgpod-outputs', 'path', 'x/a.png')));
update pgpod.jobs set status = 'failed' where id = '00000000-0000-4000-8000-0000000000a2';
grant select on c to authenticated, anon;

select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000b","role":"authenticated"}', true);
set local role authenticated;
select is((select count(*) from pgpod.jobs), 0::bigint, 'B sees none of A''s jobs');
select is((select count(*) from pgpod.job_files), 0::bigint, 'B sees none of A''s files');
select throws_ok($$ update pgpod.jobs set status = 'succeeded' where id = '00000000-0000-4000-8000-0000000000a1' $$,
  '42501', null, 'B cannot update jobs');
select throws_ok($$ delete from pgpod.jobs $$, '42501', null, 'B cannot delete jobs');
select throws_ok($$ select pgpod.cancel('00000000-0000-4000-8000-0000000000a1') $$, 'PT404', null, 'B cannot cancel A''s job');
select throws_ok($$ select pgpod.retry('00000000-0000-4000-8000-0000000000a2') $$, 'PT404', null, 'B cannot retry A''s job');
select throws_ok($$ insert into pgpod.jobs (endpoint, input, owner_id) values ('t_rls', '{}', '00000000-0000-4000-8000-00000000000a') $$,
  '42501', null, 'B cannot submit as A');
select throws_ok($$ select * from pgpod.runs $$, '42501', null, 'B cannot read runs');
select throws_ok($$ select * from pgpod.claim_runs('t_rls', 1) $$, '42501', null, 'B cannot claim');
select throws_ok($$ select pgpod.complete_run(1, 1, '{"status": "COMPLETED"}') $$, '42501', null, 'B cannot complete runs');
select throws_ok($$ select runpod_endpoint_id from pgpod.endpoints $$, '42501', null, 'B cannot read endpoint internals');

select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000a","role":"authenticated"}', true);
select throws_ok($$ update pgpod.jobs set output = '{"forged": true}' where id = '00000000-0000-4000-8000-0000000000a1' $$,
  '42501', null, 'A cannot change their own job''s output either');
reset role;

set local role anon;
select throws_ok($$ select * from pgpod.jobs $$, '42501', null, 'anon cannot read jobs');
select throws_ok($$ select pgpod.submit('t_rls', '{}') $$, '42501', null, 'anon cannot submit');
reset role;

select * from finish();
rollback;
