-- A run pgpod could not send (kind failed) counts as an attempt: its jobs come
-- back with backoff until attempts run out. A 4xx (rejected) fails at once.
begin;
select plan(10);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_attempts, backoff_base_s, backoff_max_s)
values ('t_rel', 'ep', 'http://runpod.test/v2', 2, 20, 100);
insert into pgpod.jobs (endpoint, input) values ('t_rel', '{"n": 1}');
create temp table c1 on commit drop as select * from pgpod.claim_runs('t_rel', 1);

create temp table r1 on commit drop as
select pgpod.release_run((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'reason', 'pgpod: storage down', 'kind', 'failed')) from c1)) as r;
select is((select jsonb_array_length(r -> 'requeued') from r1), 1, 'the job is requeued');
select is((select (status, attempt, error)::text from pgpod.jobs where endpoint = 't_rel'), '(queued,1,"pgpod: storage down")',
  'the job is queued again, its attempt counted');
select is((select status from pgpod.runs where id = (select run_id from c1)), 'released', 'the run is released');
select ok((select vt between clock_timestamp() + interval '9 seconds' and clock_timestamp() + interval '21 seconds'
           from pgmq.q_pgpod_t_rel), 'the new message waits the backoff (10-20 s for attempt 1)');
select is((select count(*) from pgmq.q_pgpod_t_rel), 1::bigint, 'the claimed message is replaced by one new message');
select is((select detail ->> 'delay_s' from pgpod.job_events
           where kind = 'retry_scheduled' and run_id = (select run_id from c1))::int
          between 10 and 20, true, 'the retry is recorded with its delay');

select is((select pgpod.release_run((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'reason', 'again', 'kind', 'failed')) from c1)) ->> 'stale'),
  '1', 'releasing the same run again is stale and changes nothing');

-- second attempt: Retry-After is honoured, then attempts are exhausted
update pgmq.q_pgpod_t_rel set vt = clock_timestamp();
create temp table c2 on commit drop as select * from pgpod.claim_runs('t_rel', 1);
select pgpod.release_run((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'reason', 'pgpod: storage down', 'kind', 'failed')) from c2));
select is((select (status, attempt, error)::text from pgpod.jobs where endpoint = 't_rel'), '(failed,2,"pgpod: storage down")',
  'the job fails when its attempts are used up');

insert into pgpod.jobs (endpoint, input) values ('t_rel', '{"n": 2}'), ('t_rel', '{"n": 3}');
create temp table c3 on commit drop as select * from pgpod.claim_runs('t_rel', 2);
select pgpod.release_run((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'reason', 'http_400', 'permanent', true))
                          from (select * from c3 order by run_id limit 1) x));
select pgpod.release_run((select jsonb_agg(jsonb_build_object('run_id', run_id, 'attempt', attempt, 'reason', 'pgpod: storage down', 'kind', 'failed', 'retry_after_s', 3600))
                          from (select * from c3 order by run_id offset 1) x));
select is((select status::text from pgpod.jobs where input = '{"n": 2}'), 'failed', 'a permanent error fails at once');
select ok((select vt > clock_timestamp() + interval '59 minutes' from pgmq.q_pgpod_t_rel
           where message ->> 'job_id' = (select id::text from pgpod.jobs where input = '{"n": 3}')),
  'retry_after_s delays the retry at least that long');

select * from finish();
rollback;
