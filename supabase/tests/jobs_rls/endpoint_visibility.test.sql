-- Clients see which bucket an endpoint writes to, and nothing of how it
-- reaches RunPod.
begin;
select plan(4);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, output_bucket, public_outputs)
values ('t_pub', 'ep-secret', 'http://runpod.test/v2', 't-pub', true);

select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000a","role":"authenticated"}', true);
set local role authenticated;
select is((select output_bucket from pgpod.endpoints where name = 't_pub'), 't-pub', 'a client reads an endpoint''s output bucket');
select throws_ok($$ select runpod_endpoint_id from pgpod.endpoints $$, '42501', null, 'but not its RunPod endpoint');
select throws_ok($$ select api_base from pgpod.endpoints $$, '42501', null, 'nor its API base');
select throws_ok($$ select public_outputs from pgpod.endpoints $$, '42501', null,
  'nor its settings (a public file carries its public URL)');
reset role;

select * from finish();
rollback;
