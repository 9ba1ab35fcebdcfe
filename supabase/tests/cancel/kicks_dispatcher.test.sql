-- Cancelling work RunPod holds calls the dispatcher at once (one call per
-- transaction), so /cancel does not wait for the next cron run. A grouped run
-- whose other jobs still want their results, and a job still queued, need none.
begin;
select plan(5);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_cankick', 'ep', 'http://runpod.test/v2');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, batch_size) values ('t_cankick_grp', 'ep', 'http://runpod.test/v2', 2);
delete from vault.secrets where name in ('pgpod_project_url', 'pgpod_dispatch_secret');
select vault.create_secret('http://api.test', 'pgpod_project_url');
select vault.create_secret('dispatch-secret', 'pgpod_dispatch_secret');
insert into pgpod.jobs (endpoint, input) select 't_cankick', jsonb_build_object('n', g) from generate_series(1, 3) g;
insert into pgpod.jobs (endpoint, input) select 't_cankick_grp', jsonb_build_object('n', g) from generate_series(1, 2) g;
create temp table c on commit drop as select * from pgpod.claim_runs('t_cankick', 2);
create temp table g on commit drop as select * from pgpod.claim_runs('t_cankick_grp', 1);
create temp table before_test on commit drop as select coalesce(max(id), 0) as id from net.http_request_queue;
create function pg_temp.cancel_kicks() returns bigint language sql as $$
  select count(*) from net.http_request_queue q
  where q.id > (select id from before_test) and convert_from(q.body, 'UTF8')::jsonb ->> 'reason' = 'cancel'
$$;

select pgpod.cancel((select id from pgpod.jobs where endpoint = 't_cankick' and status = 'queued'));
select is(pg_temp.cancel_kicks(), 0::bigint, 'cancelling a queued job calls nobody: it ends at once');

select pgpod.cancel((select id from pgpod.jobs where endpoint = 't_cankick_grp' order by id limit 1));
select is(pg_temp.cancel_kicks(), 0::bigint, 'nor does half of a grouped run: its other job still runs');

select pgpod.cancel((select (jobs -> 0 ->> 'job_id')::uuid from c order by run_id limit 1));
select is(pg_temp.cancel_kicks(), 1::bigint, 'cancelling a job in flight calls the dispatcher');
select matches((select headers ->> 'Authorization' from net.http_request_queue order by id desc limit 1),
  '^Bearer v1\.', 'with a dispatch token');

select pgpod.cancel((select (jobs -> 0 ->> 'job_id')::uuid from c order by run_id offset 1 limit 1));
select is(pg_temp.cancel_kicks(), 1::bigint, 'a second cancel in the same transaction adds no call');

select * from finish();
rollback;
