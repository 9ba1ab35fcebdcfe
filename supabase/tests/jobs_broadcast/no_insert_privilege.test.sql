-- When the role that sends job broadcasts may not insert into
-- realtime.messages (realtime.send would only warn), the job change still
-- goes through, each lost broadcast is recorded as a broadcast_failed event
-- and setup_checks names the grant.
begin;
select plan(5);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000d1');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_lost', 'ep', 'http://runpod.test/v2');
-- like postgres on a project (BYPASSRLS), with pgpod's schema but no INSERT on realtime.messages
create role pgpod_test_sender bypassrls;
grant usage on schema realtime, pgpod to pgpod_test_sender;
grant insert on pgpod.job_events to pgpod_test_sender;
alter function pgpod.jobs_broadcast() owner to pgpod_test_sender;
set local client_min_messages = error;

insert into pgpod.jobs (endpoint, input, owner_id) values ('t_lost', '{}', '00000000-0000-4000-8000-0000000000d1');
insert into pgpod.jobs (endpoint, input) values ('t_lost', '{}');
select is((select count(*) from realtime.messages where topic = 'pgpod:jobs:00000000-0000-4000-8000-0000000000d1'), 0::bigint,
  'the broadcast is not written, and the insert still succeeds');
select results_eq(
  $$ select job_id, detail ->> 'event', detail ->> 'topic' from pgpod.job_events where kind = 'broadcast_failed' $$,
  $$ select id, 'INSERT', 'pgpod:jobs:00000000-0000-4000-8000-0000000000d1' from pgpod.jobs where endpoint = 't_lost' and owner_id is not null $$,
  'it is recorded for the owned job (ownerless jobs are never broadcast)');

create temp table owned on commit drop as select id from pgpod.jobs where endpoint = 't_lost' and owner_id is not null;
delete from pgpod.jobs where endpoint = 't_lost';
select is((select detail ->> 'job_id' from pgpod.job_events where kind = 'broadcast_failed' and detail ->> 'event' = 'DELETE'),
  (select id::text from owned), 'a lost DELETE broadcast is recorded with the job id in its detail');
select is((select fix from pgpod.setup_checks where not ok),
  'grant insert on realtime.messages to pgpod_test_sender;  -- as the owner of realtime.messages',
  'setup_checks names the grant that is missing');

reset client_min_messages;
alter function pgpod.jobs_broadcast() owner to current_user;
insert into pgpod.jobs (endpoint, input, owner_id) values ('t_lost', '{}', '00000000-0000-4000-8000-0000000000d1');
select is((select count(*) from pgpod.job_events where kind = 'broadcast_failed'), 1::bigint,
  'with the privilege back nothing more is recorded');

select * from finish();
rollback;
