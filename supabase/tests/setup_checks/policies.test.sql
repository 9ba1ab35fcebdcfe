-- setup_checks names each policy a push could not add, with the statement
-- that adds it; a project with everything in place has nothing to fix.
begin;
select plan(4);

select is((select count(*) from pgpod.setup_checks where not ok or fix is not null), 0::bigint,
  'after a push with every right there is nothing to fix');

drop policy "pgpod owners read their outputs" on storage.objects;
drop policy "pgpod owners receive their job broadcasts" on realtime.messages;
create policy "pgpod owners receive their job broadcasts" on realtime.messages for select to authenticated
  using ((select realtime.topic()) = 'pgpod:jobs:' || (select auth.uid())::text);
select results_eq(
  $$ select name, fix from pgpod.setup_checks where not ok order by name $$,
  $$ values ('Realtime policy "pgpod owners receive their job broadcasts"', pgpod.realtime_policy_sql()),
            ('storage policy "pgpod owners read their outputs"', pgpod.storage_policy_sql()) $$,
  'a missing storage policy and a Realtime policy that ignores the row''s topic are listed with their statements');

create function pg_temp.run_fixes() returns void language plpgsql as $$
declare
  statement text;
begin
  for statement in select fix from pgpod.setup_checks where not ok loop
    execute statement;
  end loop;
end $$;
select lives_ok('select pg_temp.run_fixes()', 'the statements run');
select is((select bool_and(ok) from pgpod.setup_checks), true, 'and leave nothing to fix');

select * from finish();
rollback;
