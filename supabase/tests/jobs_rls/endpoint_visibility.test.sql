-- Clients see whether an endpoint's outputs are public (to link its files),
-- and nothing of how it reaches RunPod.
begin;
select plan(3);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, output_bucket, public_outputs)
values ('t_pub', 'ep-secret', 'http://runpod.test/v2', 't-pub', true);

select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000a","role":"authenticated"}', true);
set local role authenticated;
select is((select (output_bucket, public_outputs)::text from pgpod.endpoints where name = 't_pub'), '(t-pub,t)',
  'a client reads an endpoint''s output bucket and whether it is public');
select throws_ok($$ select runpod_endpoint_id from pgpod.endpoints $$, '42501', null, 'but not its RunPod endpoint');
select throws_ok($$ select api_base from pgpod.endpoints $$, '42501', null, 'nor its API base');
reset role;

select * from finish();
rollback;
