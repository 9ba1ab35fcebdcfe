-- The Realtime policy migration, pushed by a `postgres` that may not add
-- policies to realtime.messages, goes on without the policy instead of
-- failing the push; a push that may replaces the policy.
begin;
select plan(3);

drop policy "pgpod owners receive their job broadcasts" on realtime.messages;
create role pgpod_test_not_owner bypassrls;
alter function pgpod.realtime_policy_sql() owner to pgpod_test_not_owner;
grant usage, create on schema pgpod to pgpod_test_not_owner;
grant usage on schema realtime to pgpod_test_not_owner;
grant select on realtime.messages to pgpod_test_not_owner;
set local client_min_messages = error;
set local role pgpod_test_not_owner;
\ir ../../migrations/20261201200000_pgpod_realtime_policy.sql
reset role;
select ok(not exists (select 1 from pg_policy where polrelid = 'realtime.messages'::regclass
                      and polname = 'pgpod owners receive their job broadcasts'),
  'without the right to add policies the push goes on without it');

create policy "pgpod owners receive their job broadcasts" on realtime.messages for select to authenticated using (true);
\ir ../../migrations/20261201200000_pgpod_realtime_policy.sql
select ok((select pg_get_expr(polqual, polrelid) <> 'true' from pg_policy
           where polrelid = 'realtime.messages'::regclass and polname = 'pgpod owners receive their job broadcasts'),
  'a push that may replaces an existing policy of that name');
select is((select count(*)::int from pg_policy where polrelid = 'realtime.messages'::regclass
           and polname = 'pgpod owners receive their job broadcasts'), 1, 'and leaves one of them');

select * from finish();
rollback;
