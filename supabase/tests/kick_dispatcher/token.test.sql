-- The kick authenticates with a token that expires; the dispatch secret itself
-- never reaches net.* (pg_net grants its tables to every role).
begin;
select plan(5);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_token', 'ep', 'http://runpod.test/v2');
delete from vault.secrets where name in ('pgpod_project_url', 'pgpod_dispatch_secret');
select vault.create_secret('http://api.test', 'pgpod_project_url');
select vault.create_secret('s3cret-dispatch-value', 'pgpod_dispatch_secret');
select setval('pgpod.kick_clock', 0);
create temp table before_test on commit drop as select coalesce(max(id), 0) as id from net.http_request_queue;

insert into pgpod.jobs (endpoint, input) values ('t_token', '{}');
select pgpod.kick_dispatcher('cron', true);
select is((select count(*) from net.http_request_queue where id > (select id from before_test)), 2::bigint,
  'an insert kick and a cron call are queued');
select is((select count(*) from net.http_request_queue
           where id > (select id from before_test)
             and (headers::text like '%s3cret-dispatch-value%' or convert_from(body, 'UTF8') like '%s3cret-dispatch-value%')),
  0::bigint, 'neither carries the dispatch secret');
select ok((select bool_and(headers ->> 'Authorization' = 'Bearer ' || pgpod.dispatch_token('s3cret-dispatch-value',
                                                   split_part(headers ->> 'Authorization', '.', 2)::bigint))
           from net.http_request_queue where id > (select id from before_test)),
  'both carry a token signed with the secret');
select ok((select bool_and(abs(split_part(headers ->> 'Authorization', '.', 2)::bigint - extract(epoch from now())) < 60)
           from net.http_request_queue where id > (select id from before_test)),
  'issued now');
select is(pgpod.dispatch_token('key', 1800000000),
  'v1.1800000000.' || encode(extensions.hmac('pgpod-dispatch:1800000000', 'key', 'sha256'), 'hex'),
  'the token is v1.<issued at>.<hex HMAC-SHA256>');

select setval('pgpod.kick_clock', 0);
select * from finish();
rollback;
