-- A subscriber reads broadcasts only on their own topic, and only the rows
-- sent on it: setting realtime.topic to one's own topic opens no one else's.
begin;
select plan(5);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000e1'), ('00000000-0000-4000-8000-0000000000e2');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_rtp', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (endpoint, input, owner_id)
values ('t_rtp', '{}', '00000000-0000-4000-8000-0000000000e1'),
       ('t_rtp', '{}', '00000000-0000-4000-8000-0000000000e1'),
       ('t_rtp', '{}', '00000000-0000-4000-8000-0000000000e2');

create function pg_temp.visible_as(uid text, topic text) returns table (owner_topic text, n bigint)
language plpgsql as $$
begin
  perform set_config('request.jwt.claims', jsonb_build_object('sub', uid, 'role', 'authenticated')::text, true);
  perform set_config('realtime.topic', topic, true);
  set local role authenticated;
  return query select m.topic, count(*) from realtime.messages m
               where m.topic like 'pgpod:jobs:00000000-0000-4000-8000-0000000000e_' group by m.topic;
  reset role;
end $$;

select results_eq(
  $$ select owner_topic, n from pg_temp.visible_as('00000000-0000-4000-8000-0000000000e2', 'pgpod:jobs:00000000-0000-4000-8000-0000000000e2') $$,
  $$ values ('pgpod:jobs:00000000-0000-4000-8000-0000000000e2', 1::bigint) $$,
  'B on their own topic reads their own broadcast and none of A''s rows');
select is_empty(
  $$ select * from pg_temp.visible_as('00000000-0000-4000-8000-0000000000e2', 'pgpod:jobs:00000000-0000-4000-8000-0000000000e1') $$,
  'B on A''s topic reads nothing');
select results_eq(
  $$ select owner_topic, n from pg_temp.visible_as('00000000-0000-4000-8000-0000000000e1', 'pgpod:jobs:00000000-0000-4000-8000-0000000000e1') $$,
  $$ values ('pgpod:jobs:00000000-0000-4000-8000-0000000000e1', 2::bigint) $$,
  'A on their own topic reads their two broadcasts');
select is_empty(
  $$ select * from pg_temp.visible_as('00000000-0000-4000-8000-0000000000e1', null) $$,
  'without a topic nothing is readable');
select ok((select pg_get_expr(polqual, polrelid) like '%topic = ( SELECT realtime.topic()%'
           from pg_policy where polrelid = 'realtime.messages'::regclass
             and polname = 'pgpod owners receive their job broadcasts'),
  'the policy compares the row''s own topic with realtime.topic()');

select * from finish();
rollback;
