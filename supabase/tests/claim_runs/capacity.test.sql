-- Claims honour paused, max_runs and max_in_flight.
begin;
select plan(5);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_in_flight)
values ('t_cap', 'ep', 'http://runpod.test/v2', 3);
insert into pgpod.jobs (endpoint, input) select 't_cap', jsonb_build_object('n', g) from generate_series(1, 10) g;

update pgpod.endpoints set paused = true where name = 't_cap';
select is((select count(*) from pgpod.claim_runs('t_cap', 10)), 0::bigint, 'a paused endpoint hands out nothing');
update pgpod.endpoints set paused = false where name = 't_cap';

select is((select count(*) from pgpod.claim_runs('t_cap', 2)), 2::bigint, 'max_runs limits one claim');
select is((select count(*) from pgpod.claim_runs('t_cap', 10)), 1::bigint, 'max_in_flight limits runs in flight');
select is((select count(*) from pgpod.claim_runs('t_cap', 10)), 0::bigint, 'no capacity, no runs');

update pgpod.runs set status = 'COMPLETED' where id = (select min(id) from pgpod.runs where endpoint = 't_cap');
select is((select count(*) from pgpod.claim_runs('t_cap', 10)), 1::bigint, 'a finished run frees a slot');

select * from finish();
rollback;
