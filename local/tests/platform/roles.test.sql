-- The API roles exist with Supabase's attributes.
begin;
select extensions.plan(7);

select extensions.has_role('anon');
select extensions.has_role('authenticated');
select extensions.has_role('service_role');
select extensions.ok((select rolbypassrls from pg_roles where rolname = 'service_role'), 'service_role bypasses RLS');
select extensions.ok(not (select rolbypassrls from pg_roles where rolname = 'authenticated'), 'authenticated does not bypass RLS');
select extensions.ok((select rolcanlogin from pg_roles where rolname = 'authenticator'), 'authenticator can log in');
select extensions.ok(pg_has_role('authenticator', 'authenticated', 'member'), 'authenticator can switch to authenticated');

select * from extensions.finish();
rollback;
