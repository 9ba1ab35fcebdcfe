-- max_attempts comes from the endpoint unless the insert names one, so an
-- insert (and the generated Insert type) may leave it out.
begin;
select plan(3);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_attempts) values ('t_max', 'ep', 'http://runpod.test/v2', 7);

select col_has_default('pgpod', 'jobs', 'max_attempts', 'max_attempts has a default, so inserts may omit it');
insert into pgpod.jobs (endpoint, input, idempotency_key) values ('t_max', '{}', 'default');
insert into pgpod.jobs (endpoint, input, idempotency_key, max_attempts) values ('t_max', '{}', 'own', 2);
select is((select max_attempts from pgpod.jobs where idempotency_key = 'default'), 7,
  'an insert without max_attempts gets the endpoint''s');
select is((select max_attempts from pgpod.jobs where idempotency_key = 'own'), 2, 'a service insert may set its own');

select * from finish();
rollback;
