-- Privileges and row security. Nothing is granted by default: clients submit
-- and read their own jobs and files; everything else is for service_role.

alter table pgpod.settings enable row level security;
alter table pgpod.endpoints enable row level security;
alter table pgpod.jobs enable row level security;
alter table pgpod.runs enable row level security;
alter table pgpod.job_files enable row level security;
alter table pgpod.job_events enable row level security;

revoke all on all tables in schema pgpod from public, anon, authenticated;
revoke all on all sequences in schema pgpod from public, anon, authenticated;
revoke all on all functions in schema pgpod from public, anon, authenticated;
alter default privileges in schema pgpod revoke execute on functions from public;

grant usage on schema pgpod to authenticated, service_role;

-- Clients: submit (owner comes from the column default, auth.uid()), read own
-- rows. No UPDATE or DELETE: status, output and owner change only through
-- pgpod's functions.
grant select on pgpod.jobs, pgpod.job_files to authenticated;
grant insert (endpoint, input, idempotency_key, run_after) on pgpod.jobs to authenticated;
grant select (name, paused, input_schema, output_bucket) on pgpod.endpoints to authenticated;
grant execute on function pgpod.submit(text, jsonb, text, timestamptz),
                         pgpod.cancel(uuid),
                         pgpod.retry(uuid)
  to authenticated, service_role;

create policy "owners read their jobs" on pgpod.jobs
  for select to authenticated using (owner_id = (select auth.uid()));
create policy "owners submit their jobs" on pgpod.jobs
  for insert to authenticated with check (owner_id = (select auth.uid()));
create policy "owners read their files" on pgpod.job_files
  for select to authenticated using (owner_id = (select auth.uid()));
create policy "clients see which endpoints exist" on pgpod.endpoints
  for select to authenticated using (true);

-- service_role (Edge Functions, operators) bypasses RLS.
grant select, insert, update, delete on all tables in schema pgpod to service_role;
grant usage, select on all sequences in schema pgpod to service_role;
grant execute on function pgpod.claim_runs(text, integer),
                         pgpod.dispatchable_endpoints(),
                         pgpod.run_context(bigint, integer, text),
                         pgpod.storage_prefix(uuid, text, uuid),
                         pgpod.mark_submitted(jsonb),
                         pgpod.release_run(jsonb),
                         pgpod.complete_run(bigint, integer, jsonb, jsonb),
                         pgpod.runs_to_reconcile(integer),
                         pgpod.kick_dispatcher(text, boolean),
                         pgpod.schedule_dispatch(interval),
                         pgpod.prune(interval),
                         pgpod.queue_metrics(),
                         pgpod.backoff_s(integer, integer, integer, double precision)
  to service_role;
