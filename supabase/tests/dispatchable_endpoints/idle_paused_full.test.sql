-- dispatchable_endpoints lists only endpoints a claim would get work from.
begin;
select plan(5);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_in_flight)
values ('t_disp_busy', 'ep', 'http://runpod.test/v2', null),
       ('t_disp_idle', 'ep', 'http://runpod.test/v2', null),
       ('t_disp_capped', 'ep', 'http://runpod.test/v2', 1);
insert into pgpod.jobs (endpoint, input) values ('t_disp_busy', '{}'), ('t_disp_capped', '{}'), ('t_disp_capped', '{}');

create temp table listed on commit drop as select * from pgpod.dispatchable_endpoints() as name where name like 't_disp_%';
select is((select array_agg(name order by name) from listed), array['t_disp_busy', 't_disp_capped'],
  'endpoints with visible messages are listed, idle ones are not');

select from pgpod.claim_runs('t_disp_capped', 5);
select ok(not exists (select 1 from pgpod.dispatchable_endpoints() as name where name = 't_disp_capped'),
  'an endpoint at max_in_flight is not listed, though a message waits');

update pgpod.endpoints set paused = true where name = 't_disp_busy';
select ok(not exists (select 1 from pgpod.dispatchable_endpoints() as name where name = 't_disp_busy'), 'a paused endpoint is not listed');

update pgpod.endpoints set paused = false where name = 't_disp_busy';
select from pgpod.claim_runs('t_disp_busy', 5);
select ok(not exists (select 1 from pgpod.dispatchable_endpoints() as name where name = 't_disp_busy'),
  'claimed messages are hidden, so the endpoint drops off the list');

insert into pgpod.jobs (endpoint, input, run_after) values ('t_disp_idle', '{}', now() + interval '1 hour');
select ok(not exists (select 1 from pgpod.dispatchable_endpoints() as name where name = 't_disp_idle'),
  'a message delayed by run_after is not visible yet');

select * from finish();
rollback;
