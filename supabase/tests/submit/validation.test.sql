-- A bad submission gets a clear error and writes nothing.
begin;
select plan(7);

insert into auth.users (id) values ('00000000-0000-4000-8000-00000000000a');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, input_schema)
values ('t_val', 'ep', 'http://runpod.test/v2', '{"required": ["audio_url", "language"]}'),
       ('t_paused', 'ep', 'http://runpod.test/v2', null);
update pgpod.endpoints set paused = true where name = 't_paused';

select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000a","role":"authenticated"}', true);
set local role authenticated;

select throws_ok($$ select pgpod.submit('t_nope', '{}') $$,
  '23503', 'pgpod: unknown endpoint "t_nope"', 'an unknown endpoint is refused');
select throws_ok($$ select pgpod.submit('t_paused', '{"a":1}') $$,
  'PT409', 'pgpod: endpoint "t_paused" is paused', 'a paused endpoint is refused');
select throws_ok($$ select pgpod.submit('t_val', '[1, 2]') $$,
  '22023', 'pgpod: input must be a JSON object', 'an input that is not an object is refused');
select throws_ok($$ select pgpod.submit('t_val', '{"audio_url": "x"}') $$,
  '22023', 'pgpod: input lacks required keys: language', 'missing required keys are named');
select throws_like(
  $$ select pgpod.submit('t_val', jsonb_build_object('audio_url', repeat('x', 10 * 1024 * 1024), 'language', 'en')) $$,
  'pgpod: input is % bytes, over the 10 MB RunPod accepts', 'an input over 10 MB is refused');
select lives_ok($$ select pgpod.submit('t_val', '{"audio_url": "x", "language": "en"}') $$,
  'a valid input is accepted');

reset role;
select is((select count(*) from pgpod.jobs where endpoint in ('t_val', 't_paused', 't_nope')), 1::bigint,
  'only the valid submission was written');

select * from finish();
rollback;
