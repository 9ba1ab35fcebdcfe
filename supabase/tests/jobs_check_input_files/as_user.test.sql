-- A user's insert may reference only Storage objects that user can read,
-- checked through their own RLS; anything else is refused and nothing is queued.
begin;
select plan(7);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1'), ('00000000-0000-4000-8000-0000000000b1');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_inputs', 'ep', 'http://runpod.test/v2');
insert into storage.objects (bucket_id, name, owner_id)
values ('pgpod-inputs', '00000000-0000-4000-8000-0000000000a1/inputs/a.wav', '00000000-0000-4000-8000-0000000000a1'),
       ('pgpod-inputs', '00000000-0000-4000-8000-0000000000b1/inputs/b.wav', '00000000-0000-4000-8000-0000000000b1');

select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-0000000000a1","role":"authenticated"}', true);
set local role authenticated;

select lives_ok($$
  insert into pgpod.jobs (endpoint, input)
  values ('t_inputs', jsonb_build_object('audio', pgpod.input_file('00000000-0000-4000-8000-0000000000a1/inputs/a.wav'),
                                         'nested', jsonb_build_array(jsonb_build_object('x', 1)))) $$,
  'a reference to the user''s own upload is accepted');
select is((select count(*) from pgpod.jobs where endpoint = 't_inputs'), 1::bigint, 'and the job is there');

select throws_ok($$
  insert into pgpod.jobs (endpoint, input)
  values ('t_inputs', jsonb_build_object('audio', pgpod.input_file('00000000-0000-4000-8000-0000000000b1/inputs/b.wav'))) $$,
  '22023', 'pgpod: input file pgpod-inputs/00000000-0000-4000-8000-0000000000b1/inputs/b.wav does not exist or its owner may not read it',
  'a reference to another user''s input is refused as if it did not exist');

select throws_ok($$
  insert into pgpod.jobs (endpoint, input)
  values ('t_inputs', jsonb_build_object('items', jsonb_build_array(
    pgpod.input_file('00000000-0000-4000-8000-0000000000a1/inputs/a.wav'),
    jsonb_build_object('deep', pgpod.input_file('00000000-0000-4000-8000-0000000000a1/inputs/missing.wav'))))) $$,
  '22023', 'pgpod: input file pgpod-inputs/00000000-0000-4000-8000-0000000000a1/inputs/missing.wav does not exist or its owner may not read it',
  'a missing object is refused wherever the reference sits');

select throws_ok($$ select * from pgpod.submit('t_inputs', '{"a": {"$storage": {"bucket": "pgpod-inputs"}}}') $$,
  '22023', 'pgpod: an input file reference must be {"$storage": {"bucket": "<bucket>", "path": "<path>"}}, got {"bucket": "pgpod-inputs"}',
  'a malformed reference is refused with the expected shape');

select throws_ok($$
  insert into pgpod.jobs (endpoint, input)
  select 't_inputs', jsonb_build_object('files', jsonb_agg(pgpod.input_file('00000000-0000-4000-8000-0000000000a1/inputs/a.wav')))
  from generate_series(1, 101) $$,
  '22023', 'pgpod: input references more than 100 files', 'at most 100 references per job');

reset role;
select is((select count(*) from pgpod.jobs where endpoint = 't_inputs'), 1::bigint, 'refused inserts left nothing behind');

select * from finish();
rollback;
