-- Hosted-privileges mode, step 2 (as supabase_admin, after the platform
-- bootstrap and the pgmq and pg_net stand-ins): the owners and grants a
-- hosted Supabase project has, from supabase/postgres's migrations, its
-- extensions' after-create scripts and Realtime's tenant migrations.

-- Gives a schema's tables, views, sequences, functions and types to a role.
create function pg_temp.reown(schema_name text, new_owner text) returns void
language plpgsql as $$
declare
  obj record;
begin
  for obj in
    select format('alter %s %I.%I owner to %I',
                  case c.relkind when 'v' then 'view' when 'S' then 'sequence' else 'table' end,
                  n.nspname, c.relname, new_owner) as ddl
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = schema_name and c.relkind in ('r', 'p', 'v', 'S')
      and not c.relispartition
      -- serial and identity sequences follow their table
      and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_class'::regclass and d.objid = c.oid
                        and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i'))
  loop
    execute obj.ddl;
  end loop;
  for obj in
    select format('alter %s %s owner to %I', case p.prokind when 'p' then 'procedure' else 'function' end,
                  p.oid::regprocedure, new_owner) as ddl
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = schema_name
  loop
    execute obj.ddl;
  end loop;
  for obj in
    select format('alter %s %I.%I owner to %I', case t.typtype when 'd' then 'domain' else 'type' end,
                  n.nspname, t.typname, new_owner) as ddl
    from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where n.nspname = schema_name and t.typtype in ('c', 'd', 'e')
      -- a table's row type follows its table
      and (t.typrelid = 0 or (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c')
  loop
    execute obj.ddl;
  end loop;
end $$;

-- auth: the schema is supabase_admin's, its tables and functions belong to
-- Auth's admin; postgres has every privilege on the tables but owns nothing.
grant all on schema auth to supabase_auth_admin;
select pg_temp.reown('auth', 'supabase_auth_admin');
grant usage on schema auth to postgres;
grant all on all tables in schema auth to postgres;

-- storage: Storage's admin owns the schema; postgres has ALL on buckets and
-- objects, with grant option, but may not add policies to them.
alter schema storage owner to supabase_storage_admin;
select pg_temp.reown('storage', 'supabase_storage_admin');
grant usage on schema storage to postgres with grant option;
grant all on storage.buckets, storage.objects to postgres with grant option;

-- realtime: supabase_admin owns the schema, Realtime's admin the messages
-- table. Realtime's current tenant migrations leave postgres only SELECT on
-- it; postgres still inserts through its membership in the API roles.
grant all on schema realtime to supabase_realtime_admin;
alter table realtime.messages owner to supabase_realtime_admin;
grant usage on schema realtime to postgres with grant option;
revoke all on realtime.messages from postgres;
grant select on realtime.messages to postgres with grant option;
alter publication supabase_realtime owner to postgres;

-- pg_cron (pg_catalog, schema cron): postgres uses the functions and tables
-- but may only read cron.job.
grant usage on schema cron to postgres with grant option;
grant all on all tables in schema cron to postgres with grant option;
grant all on all sequences in schema cron to postgres with grant option;
grant all on all functions in schema cron to postgres with grant option;
revoke all on cron.job from postgres;
grant select on cron.job to postgres with grant option;

-- Vault: postgres may create, update, read and delete secrets.
grant usage on schema vault to postgres with grant option;
grant select, delete on vault.secrets, vault.decrypted_secrets to postgres with grant option;
grant execute on function vault.create_secret(text, text, text, uuid),
                          vault.update_secret(uuid, text, text, text, uuid) to postgres with grant option;

-- pgmq: Supabase gives the schema and every pgmq object to postgres.
alter schema pgmq owner to postgres;
select pg_temp.reown('pgmq', 'postgres');

-- pg_net: supabase_admin's; the request functions are open to PUBLIC.
grant execute on function net.http_get(text, jsonb, jsonb, int),
                          net.http_post(text, jsonb, jsonb, jsonb, int) to public;

-- extensions: the schema is postgres's, the extensions in it are not.
alter schema extensions owner to postgres;
