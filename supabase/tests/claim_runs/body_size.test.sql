-- A grouped run carries no more input than one RunPod /run body takes (10 MB):
-- jobs under the limit each must not add up to a body RunPod refuses.
begin;
select plan(6);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, batch_size)
values ('t_size', 'ep', 'http://runpod.test/v2', 10), ('t_size_small', 'ep', 'http://runpod.test/v2', 10);
insert into pgpod.jobs (endpoint, input)
select 't_size', jsonb_build_object('n', g, 'blob', repeat('x', 3500000)) from generate_series(1, 5) g;
insert into pgpod.jobs (endpoint, input) select 't_size_small', jsonb_build_object('n', g) from generate_series(1, 25) g;

create temp table c on commit drop as select * from pgpod.claim_runs('t_size', 2);
select is((select array_agg(jsonb_array_length(input -> 'jobs') order by run_id) from c), array[2, 2],
  'five 3.5 MB jobs make runs of two, not one run of five');
select ok((select bool_and(octet_length(jsonb_build_object('input', input)::text) < 10 * 1000 * 1000) from c),
  'every run''s input stays under 10 MB');
select is((select jsonb_path_query_array(input, '$.jobs[*].input.n') from c order by run_id limit 1), '[1, 2]'::jsonb,
  'oldest first');
select is((select (status, attempt)::text from pgpod.jobs where endpoint = 't_size' and input ->> 'n' = '5'), '(queued,0)',
  'the job no run had room for stays queued, its attempt untouched');
select ok((select vt <= clock_timestamp() from pgmq.q_pgpod_t_size
           where message ->> 'job_id' = (select id::text from pgpod.jobs where endpoint = 't_size' and input ->> 'n' = '5')),
  'and its message is visible again at once');

create temp table s on commit drop as select * from pgpod.claim_runs('t_size_small', 10);
select is((select array_agg(jsonb_array_length(input -> 'jobs') order by run_id) from s), array[10, 10, 5],
  'small inputs still group by batch_size');

select * from finish();
rollback;
