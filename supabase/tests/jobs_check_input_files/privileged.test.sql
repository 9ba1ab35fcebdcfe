-- Service inserts and app-table triggers bypass RLS: an owned job may then
-- reference only objects of its owner; an ownerless one any object that exists.
begin;
select plan(5);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a2'), ('00000000-0000-4000-8000-0000000000b2');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_inputs_svc', 'ep', 'http://runpod.test/v2');
insert into storage.objects (bucket_id, name, owner_id)
values ('pgpod-inputs', '00000000-0000-4000-8000-0000000000a2/inputs/a.wav', '00000000-0000-4000-8000-0000000000a2'),
       ('pgpod-inputs', 'shared/b.wav', '00000000-0000-4000-8000-0000000000b2'),
       ('pgpod-inputs', 'shared/by-a.wav', '00000000-0000-4000-8000-0000000000a2');

set local role service_role;
select lives_ok($$
  insert into pgpod.jobs (endpoint, input, owner_id)
  values ('t_inputs_svc', jsonb_build_object('a', pgpod.input_file('00000000-0000-4000-8000-0000000000a2/inputs/a.wav')),
          '00000000-0000-4000-8000-0000000000a2') $$,
  'an object in the owner''s folder');
select lives_ok($$
  insert into pgpod.jobs (endpoint, input, owner_id)
  values ('t_inputs_svc', jsonb_build_object('a', pgpod.input_file('shared/by-a.wav')), '00000000-0000-4000-8000-0000000000a2') $$,
  'an object the owner uploaded elsewhere');
select throws_ok($$
  insert into pgpod.jobs (endpoint, input, owner_id)
  values ('t_inputs_svc', jsonb_build_object('a', pgpod.input_file('shared/b.wav')), '00000000-0000-4000-8000-0000000000a2') $$,
  '22023', 'pgpod: input file pgpod-inputs/shared/b.wav does not exist or its owner may not read it',
  'another user''s object is refused for an owned job');
select lives_ok($$
  insert into pgpod.jobs (endpoint, input) values ('t_inputs_svc', jsonb_build_object('a', pgpod.input_file('shared/b.wav'))) $$,
  'an ownerless service job may reference any existing object');
select throws_ok($$
  insert into pgpod.jobs (endpoint, input) values ('t_inputs_svc', jsonb_build_object('a', pgpod.input_file('nope.wav', 'other-bucket'))) $$,
  '22023', 'pgpod: input file other-bucket/nope.wav does not exist or its owner may not read it',
  'but not a missing one');
reset role;

select * from finish();
rollback;
