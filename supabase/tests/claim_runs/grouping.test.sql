-- Claims group up to batch_size jobs per run, oldest first.
begin;
select plan(9);

insert into auth.users (id) values ('00000000-0000-4000-8000-00000000000a');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, batch_size, execution_timeout_ms, ttl_ms, low_priority, direct_upload)
values ('t_grp', 'ep-grp', 'http://runpod.test/v2', 3, 60000, 600000, true, true),
       ('t_one', 'ep-one', 'http://runpod.test/v2', 1, null, null, false, false);
insert into pgpod.jobs (endpoint, input, owner_id)
select 't_grp', jsonb_build_object('n', g), '00000000-0000-4000-8000-00000000000a' from generate_series(1, 5) g;
insert into pgpod.jobs (endpoint, input, owner_id) values ('t_one', '{"solo": true}', null);

create temp table c on commit drop as select * from pgpod.claim_runs('t_grp', 10);
select is((select count(*) from c), 2::bigint, 'five jobs in batches of three make two runs');
select is((select jsonb_path_query_array(input, '$.jobs[*].input.n') from c order by run_id limit 1), '[1, 2, 3]'::jsonb,
  'grouped input is {jobs: [{job_id, input}]}, oldest first');
select is((select (attempt, endpoint_name, runpod_endpoint_id, execution_timeout_ms, ttl_ms, low_priority, direct_upload, grouped)::text
           from c order by run_id limit 1), '(1,t_grp,ep-grp,60000,600000,t,t,t)', 'the run carries the endpoint settings');
select is((select jobs -> 0 ->> 'storage_prefix' from c order by run_id limit 1),
  '00000000-0000-4000-8000-00000000000a/t_grp/' || (select jobs -> 0 ->> 'job_id' from c order by run_id limit 1) || '/',
  'each job comes with its storage prefix <owner>/<endpoint>/<job>/');
select is((select count(*) from pgpod.jobs where endpoint = 't_grp' and status = 'submitting' and attempt = 1 and run_id is not null),
  5::bigint, 'claimed jobs are submitting, in their first attempt');
select is((select count(*) from pgpod.claim_runs('t_grp', 10)), 0::bigint, 'claimed jobs are not claimed again');

create temp table s on commit drop as select * from pgpod.claim_runs('t_one', 10);
select is((select input from s), '{"solo": true}'::jsonb, 'a single job''s input is passed as is');
select is((select jobs -> 0 ->> 'storage_prefix' from s), 'service/t_one/' || (select jobs -> 0 ->> 'job_id' from s) || '/',
  'a job without owner goes under service/');
select throws_ok($$ select * from pgpod.claim_runs('t_missing', 1) $$, '23503', null, 'an unknown endpoint is an error');

select * from finish();
rollback;
