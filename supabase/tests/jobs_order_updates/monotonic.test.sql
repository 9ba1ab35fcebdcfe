-- A job's updated_at grows with every update, even when the updating
-- transaction's now() is not later than the value it replaces.
begin;
select plan(4);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_order', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (id, endpoint, input) values ('00000000-0000-4000-8000-0000000000f1', 't_order', '{}');
create temp table seen (n int, at timestamptz) on commit drop;
insert into seen select 0, updated_at from pgpod.jobs where id = '00000000-0000-4000-8000-0000000000f1';

-- same transaction, so now() is the insert's
update pgpod.jobs set status = 'submitting', updated_at = now() where id = '00000000-0000-4000-8000-0000000000f1';
insert into seen select 1, updated_at from pgpod.jobs where id = '00000000-0000-4000-8000-0000000000f1';
update pgpod.jobs set status = 'running', updated_at = now() where id = '00000000-0000-4000-8000-0000000000f1';
insert into seen select 2, updated_at from pgpod.jobs where id = '00000000-0000-4000-8000-0000000000f1';
select ok((select at from seen where n = 1) > (select at from seen where n = 0), 'an update in the inserting transaction moves updated_at on');
select ok((select at from seen where n = 2) > (select at from seen where n = 1), 'and so does the next one');

-- a writer whose clock (or transaction start) is behind
update pgpod.jobs set status = 'succeeded', updated_at = now() - interval '1 hour' where id = '00000000-0000-4000-8000-0000000000f1';
select ok((select updated_at from pgpod.jobs where id = '00000000-0000-4000-8000-0000000000f1') > (select at from seen where n = 2),
  'an older updated_at never replaces a newer one');

update pgpod.jobs set updated_at = now() + interval '1 day' where id = '00000000-0000-4000-8000-0000000000f1';
select is((select updated_at from pgpod.jobs where id = '00000000-0000-4000-8000-0000000000f1'), now() + interval '1 day',
  'a later updated_at is kept as written');

select * from finish();
rollback;
