-- A pgpod_project_url pg_net cannot use (no scheme, say) or pg_net raising on
-- the call never makes an insert fail; the problem is recorded where
-- operators look, at most once a minute.
begin;
select plan(9);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_badurl', 'ep', 'http://runpod.test/v2');
delete from vault.secrets where name in ('pgpod_project_url', 'pgpod_dispatch_secret');
select vault.create_secret('project-ref.supabase.co', 'pgpod_project_url');
select vault.create_secret('dispatch-secret', 'pgpod_dispatch_secret');
select setval('pgpod.kick_clock', 0);
select setval('pgpod.kick_problem_clock', 0);
create temp table before_test on commit drop as
  select coalesce(max(id), 0) as request_id, (select coalesce(max(id), 0) from pgpod.job_events) as event_id
  from net.http_request_queue;

select lives_ok($$insert into pgpod.jobs (endpoint, input) values ('t_badurl', '{"n": 1}')$$,
  'an insert succeeds with a project URL that has no scheme');
select is((select count(*) from net.http_request_queue where id > (select request_id from before_test)), 0::bigint,
  'and sends no request');
select is((select count(*) from pgmq.q_pgpod_t_badurl), 1::bigint, 'the job is queued for pg_cron all the same');
select matches((select detail ->> 'error' from pgpod.job_events
                where kind = 'kick_failed' and id > (select event_id from before_test)),
  'pgpod_project_url is not an http\(s\) URL', 'the problem is recorded in job_events');
select matches((select kick_problem from pgpod.queue_health where endpoint = 't_badurl'),
  'pgpod_project_url is not an http\(s\) URL', 'and shown in queue_health');

-- a second broken kick in a minute already recorded adds no event (the clock
-- is set a minute ahead so the test cannot straddle a minute boundary)
select set_config('pgpod.kicked', '', true);
select setval('pgpod.kick_clock', 0);
select setval('pgpod.kick_problem_clock', floor(extract(epoch from clock_timestamp()) / 60)::bigint + 1);
insert into pgpod.jobs (endpoint, input) values ('t_badurl', '{"n": 2}');
select is((select count(*) from pgpod.job_events where kind = 'kick_failed' and id > (select event_id from before_test)),
  1::bigint, 'a broken kick is recorded at most once a minute');

-- pg_net itself raising on the call: pg_net 0.20 hands the URL to libcurl
-- when it is called, and a port past 65535 passes pgpod's own check
update vault.secrets set secret = 'https://project-ref.supabase.co:99999' where name = 'pgpod_project_url';
select set_config('pgpod.kicked', '', true);
select setval('pgpod.kick_clock', 0);
select setval('pgpod.kick_problem_clock', 0);
select lives_ok($$insert into pgpod.jobs (endpoint, input) values ('t_badurl', '{"n": 3}')$$,
  'an insert succeeds when pg_net raises on the kick');
select is((select count(*) from pgmq.q_pgpod_t_badurl), 3::bigint, 'and its job is queued');
select matches((select kick_problem from pgpod.queue_health where endpoint = 't_badurl'),
  '^pgpod: pg_net refused the dispatcher call: ', 'the pg_net error is shown in queue_health');

select * from finish();
rollback;
