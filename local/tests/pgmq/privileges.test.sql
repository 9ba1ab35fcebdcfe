-- Who may use queues in the local stand-in: postgres and service_role, not
-- the API roles. These grants are the stand-in's own (a Supabase project sets
-- its own), so the file is skipped when the real extension is installed.
begin;
set local search_path = extensions, public;
set local client_min_messages = warning;
select plan(12);

-- Runs a statement as another role; returns 'ok' or the SQLSTATE it failed with.
create function pg_temp.run_as(role_name text, statement text) returns text
language plpgsql as $$
begin
  execute format('set local role %I', role_name);
  execute statement;
  reset role;
  return 'ok';
exception when others then
  return sqlstate;
end $$;

select exists (select 1 from pg_extension where extname = 'pgmq') as real_pgmq \gset
\if :real_pgmq
select skip('the real pgmq extension is installed; privileges are the project''s own', 12);
\else
select pgmq.create('tap_privs');
select msg_id as msg from pgmq.send('tap_privs', '{"n": 1}') as s(msg_id) \gset

select is(pg_temp.run_as('service_role', $$select pgmq.send('tap_privs', '{"n": 2}')$$), 'ok', 'service_role can send');
select is(pg_temp.run_as('service_role', $$select pgmq.send_batch('tap_privs', array['{"n": 3}']::jsonb[])$$), 'ok', 'service_role can send a batch');
select is(pg_temp.run_as('service_role', $$select pgmq.read('tap_privs', 30, 1)$$), 'ok', 'service_role can read');
select is(pg_temp.run_as('service_role', $$select pgmq.pop('tap_privs')$$), 'ok', 'service_role can pop');
select is(pg_temp.run_as('service_role', format('select pgmq.archive(%L, %s::bigint)', 'tap_privs', :msg)), 'ok', 'service_role can archive');
select is(pg_temp.run_as('service_role', $$select pgmq.delete('tap_privs', array[1, 2, 3]::bigint[])$$), 'ok', 'service_role can delete');
select is(
  pg_temp.run_as('service_role', $$select pgmq.metrics_all(), pgmq.list_queues(), pgmq.purge_queue('tap_privs')$$),
  'ok',
  'service_role can list, measure and purge queues'
);
select is(pg_temp.run_as('anon', $$select pgmq.send('tap_privs', '{}')$$), '42501', 'anon cannot send');
select is(pg_temp.run_as('authenticated', $$select pgmq.read('tap_privs', 30, 1)$$), '42501', 'authenticated cannot read');
select is(pg_temp.run_as('anon', 'select * from pgmq.q_tap_privs'), '42501', 'anon cannot touch queue tables');
select ok(
  not has_function_privilege('anon', 'pgmq.send(text, jsonb)', 'execute')
  and not has_function_privilege('authenticated', 'pgmq.send(text, jsonb)', 'execute'),
  'the API roles have no execute privilege on pgmq functions'
);
select is(
  (select count(*)::int from pgmq.q_tap_privs),
  0,
  'service_role''s purge emptied the queue'
);
\endif

select * from finish();
rollback;
