-- The storage migration, pushed by a `postgres` that (as on current hosted
-- projects) does not own storage.objects, goes on without the owner policy
-- and warns how to add it, instead of failing the push.
begin;
select plan(3);

select ok(exists (select 1 from pg_policy where polrelid = 'storage.objects'::regclass
                  and polname = 'pgpod owners read their outputs'), 'a push with ownership creates the policy');

drop policy "pgpod owners read their outputs" on storage.objects;
select set_config('storage.allow_delete_query', 'true', true);
delete from storage.objects where bucket_id = 'pgpod-outputs';
delete from storage.buckets where id = 'pgpod-outputs';
create role pgpod_test_not_owner bypassrls;
grant usage on schema storage, pgpod to pgpod_test_not_owner;
grant all on storage.buckets, storage.objects to pgpod_test_not_owner;
set local client_min_messages = error;
set local role pgpod_test_not_owner;
\ir ../../migrations/20261122000900_pgpod_storage.sql
reset role;

select ok(not exists (select 1 from pg_policy where polrelid = 'storage.objects'::regclass
                      and polname = 'pgpod owners read their outputs'), 'without ownership the policy is skipped');
select ok(exists (select 1 from storage.buckets where id = 'pgpod-outputs'), 'and the rest of the migration still applies: the output bucket is created');

select * from finish();
rollback;
