-- Inserts kick the dispatcher once per statement, transaction and window, and
-- only when the Vault secrets exist.
begin;
select plan(10);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_kick', 'ep', 'http://runpod.test/v2');
delete from vault.secrets where name in ('pgpod_project_url', 'pgpod_dispatch_secret');
update pgpod.settings set kick_debounce_ms = 60000;
select setval('pgpod.kick_clock', 0);
create temp table kicks_before on commit drop as select coalesce(max(id), 0) as id from net.http_request_queue;
create function pg_temp.kicks() returns bigint language sql as $$
  select count(*) from net.http_request_queue q
  where q.id > (select id from kicks_before) and q.url like '%/functions/v1/pgpod-dispatch'
$$;

insert into pgpod.jobs (endpoint, input) values ('t_kick', '{}');
select is(pg_temp.kicks(), 0::bigint, 'no kick without the Vault secrets');

select vault.create_secret('http://api.test/', 'pgpod_project_url');
select vault.create_secret('dispatch-secret', 'pgpod_dispatch_secret');
select set_config('pgpod.kicked', '', true);

insert into pgpod.jobs (endpoint, input) select 't_kick', jsonb_build_object('n', g) from generate_series(1, 10000) g;
select is(pg_temp.kicks(), 1::bigint, 'a 10 000-row insert makes one kick');
select is((select url from net.http_request_queue where id > (select id from kicks_before)),
  'http://api.test/functions/v1/pgpod-dispatch', 'the kick calls pgpod-dispatch under the project URL');
select matches((select headers ->> 'Authorization' from net.http_request_queue where id > (select id from kicks_before)),
  '^Bearer v1\.[0-9]+\.[0-9a-f]{64}$', 'the kick carries a dispatch token');
select is((select convert_from(body, 'UTF8')::jsonb from net.http_request_queue where id > (select id from kicks_before)),
  '{"reason": "insert", "linger_ms": 60000}'::jsonb,
  'the kick names its debounce window, for the dispatcher to wait out');

insert into pgpod.jobs (endpoint, input) values ('t_kick', '{}');
select is(pg_temp.kicks(), 1::bigint, 'a second statement in the same transaction does not kick again');

-- a new transaction inside the same window
select set_config('pgpod.kicked', '', true);
insert into pgpod.jobs (endpoint, input) values ('t_kick', '{}');
select is(pg_temp.kicks(), 1::bigint, 'another transaction inside the window does not kick');

-- the next window
select set_config('pgpod.kicked', '', true);
select setval('pgpod.kick_clock', 0);
insert into pgpod.jobs (endpoint, input) values ('t_kick', '{}');
select is(pg_temp.kicks(), 2::bigint, 'a transaction in a later window kicks');

select isnt(pgpod.kick_dispatcher('cron', true), null, 'a forced kick (pg_cron) ignores the window');
select is((select convert_from(body, 'UTF8')::jsonb from net.http_request_queue order by id desc limit 1),
  '{"reason": "cron"}'::jsonb, 'and names no window: nothing was debounced for it');

select setval('pgpod.kick_clock', 0);
select * from finish();
rollback;
