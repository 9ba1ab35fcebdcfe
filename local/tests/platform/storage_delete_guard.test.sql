-- Direct deletes from storage.buckets and storage.objects are refused, as on
-- Supabase, unless storage.allow_delete_query is 'true' for the transaction.
begin;
select extensions.plan(10);

insert into storage.buckets (id, name) values ('guard-test', 'guard-test');
insert into storage.objects (bucket_id, name) values ('guard-test', 'a/b.txt');

select extensions.throws_ok($$ delete from storage.objects where bucket_id = 'guard-test' $$, '42501',
  'Direct deletion from storage tables is not allowed. Use the Storage API instead.',
  'a direct delete from storage.objects is refused');
select extensions.throws_ok($$ delete from storage.buckets where id = 'guard-test' $$, '42501',
  'Direct deletion from storage tables is not allowed. Use the Storage API instead.',
  'a direct delete from storage.buckets is refused');
select extensions.throws_ok($$ delete from storage.objects where false $$, '42501', null,
  'the guard is per statement: a delete matching no rows is refused too');

set local role service_role;
select extensions.throws_ok($$ delete from storage.objects where bucket_id = 'guard-test' $$, '42501', null,
  'service_role is refused as well');
reset role;

select pg_catalog.set_config('storage.allow_delete_query', 'false', true);
select extensions.throws_ok($$ delete from storage.objects where bucket_id = 'guard-test' $$, '42501', null,
  'only the value true lets a delete through');
select extensions.is((select count(*) from storage.objects where bucket_id = 'guard-test'), 1::bigint,
  'the refused deletes removed nothing');

select pg_catalog.set_config('storage.allow_delete_query', 'true', true);
set local role service_role;
select extensions.lives_ok($$ delete from storage.objects where bucket_id = 'guard-test' $$,
  'with storage.allow_delete_query = true, objects can be deleted');
reset role;
select extensions.lives_ok($$ delete from storage.buckets where id = 'guard-test' $$,
  'with storage.allow_delete_query = true, buckets can be deleted');
select extensions.is((select count(*) from storage.objects where bucket_id = 'guard-test'), 0::bigint, 'the object is gone');
select extensions.is((select count(*) from storage.buckets where id = 'guard-test'), 0::bigint, 'the bucket is gone');

select * from extensions.finish();
rollback;
