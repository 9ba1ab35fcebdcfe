-- A message insert that fails (here: no partition of realtime.messages takes
-- the row, as on a project whose daily partition is missing) never fails the
-- job change: the statement's messages are undone together, a warning is
-- raised and each lost message is recorded as broadcast_failed.
begin;
select plan(4);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000e3');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_bc_fail', 'ep', 'http://runpod.test/v2');
alter table realtime.messages detach partition realtime.messages_local;
set local client_min_messages = error;

insert into pgpod.jobs (endpoint, input, owner_id)
select 't_bc_fail', jsonb_build_object('n', g), '00000000-0000-4000-8000-0000000000e3' from generate_series(1, 3) g;
select is((select count(*) from pgpod.jobs where endpoint = 't_bc_fail'), 3::bigint, 'the insert succeeds');
update pgpod.jobs set status = 'cancelled', finished_at = now() where endpoint = 't_bc_fail';
select is((select count(*) from pgpod.jobs where endpoint = 't_bc_fail' and status = 'cancelled'), 3::bigint, 'so does the update');
select results_eq(
  $$ select detail ->> 'event', count(*), bool_and(detail ->> 'error' like 'no partition of relation "messages" found for row%'
                                                    and detail ->> 'topic' = 'pgpod:jobs:00000000-0000-4000-8000-0000000000e3'
                                                    and detail ->> 'job_id' = job_id::text)
     from pgpod.job_events where kind = 'broadcast_failed' group by 1 order by 1 $$,
  $$ values ('INSERT', 3::bigint, true), ('UPDATE', 3::bigint, true) $$,
  'each lost message is recorded with its job, topic and the error');

reset client_min_messages;
alter table realtime.messages attach partition realtime.messages_local default;
select is((select count(*) from realtime.messages_local where topic = 'pgpod:jobs:00000000-0000-4000-8000-0000000000e3'), 0::bigint,
  'nothing of the failed statements was written');

select * from finish();
rollback;
