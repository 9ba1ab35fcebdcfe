-- An endpoint whose pgmq queue is missing is left out of dispatching and
-- reported; the other endpoints, and queue_health itself, work as usual.
begin;
select plan(6);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values
  ('t_noqueue', 'ep', 'http://runpod.test/v2'), ('t_healthy', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input) values ('t_noqueue', '{}'), ('t_healthy', '{}');
select pgmq.drop_queue('pgpod_t_noqueue');

select lives_ok($$select * from pgpod.dispatchable_endpoints()$$, 'listing endpoints survives a missing queue');
select is((select array_agg(e order by e) from pgpod.dispatchable_endpoints() e where e like 't\_%'),
  array['t_healthy'], 'only the healthy endpoint is dispatched');
select is((select problem from pgpod.endpoint_health where endpoint = 't_noqueue'),
  'pgpod: the queue pgpod_t_noqueue is missing; recreate it with select pgmq.create(''pgpod_t_noqueue'')',
  'the broken endpoint records why');
select is((select (queue_length, problem)::text from pgpod.queue_health where endpoint = 't_noqueue'),
  '(,"pgpod: the queue pgpod_t_noqueue is missing")', 'queue_health shows the missing queue');
select is((select queue_length from pgpod.queue_health where endpoint = 't_healthy'), 1::bigint,
  'and the healthy endpoint''s queue as usual');

select lives_ok($$select pgpod.prune()$$, 'pruning skips the missing queue''s archive');

select * from finish();
rollback;
