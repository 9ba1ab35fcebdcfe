-- Hosted-privileges mode, step 1 (as the cluster's superuser supabase_admin,
-- before the platform bootstrap): the roles a hosted Supabase database has.
-- `postgres` is not a superuser there; the platform's own roles own their
-- schemas and postgres is not a member of them.
create role postgres nosuperuser createdb createrole login replication bypassrls password 'postgres';
create role supabase_auth_admin noinherit createrole login;
create role supabase_storage_admin noinherit createrole login;
create role supabase_realtime_admin noinherit nologin;
grant pg_monitor, pg_read_all_data, pg_signal_backend to postgres;

-- The database and `public` stay supabase_admin's; postgres may create in both.
grant all on database postgres to postgres;
grant all on schema public to postgres;
