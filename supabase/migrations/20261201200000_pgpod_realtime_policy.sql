-- Who may receive a job broadcast: the Realtime server checks this policy as
-- the subscriber, with realtime.topic() set to the channel's topic. A row
-- matches only when the channel is the subscriber's own topic AND the row was
-- sent on that topic; without the second condition a role that can read the
-- table and sets realtime.topic to its own topic would read every owner's rows.
--
-- The statements, kept in one place: this migration runs them, and
-- pgpod.setup_checks shows them to whoever has to run them by hand.
create or replace function pgpod.realtime_policy_sql() returns text
language sql immutable set search_path = '' as $fn$
  select $sql$drop policy if exists "pgpod owners receive their job broadcasts" on realtime.messages;
create policy "pgpod owners receive their job broadcasts" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and realtime.messages.topic = (select realtime.topic())
    and (select realtime.topic()) = 'pgpod:jobs:' || (select auth.uid())::text
  );$sql$
$fn$;

-- realtime.messages belongs to Supabase's Realtime admin role. Where a
-- project's `postgres` may not change policies on it, the push goes on
-- without this one and says what to run instead of failing the whole push.
do $$
begin
  execute pgpod.realtime_policy_sql();
exception when insufficient_privilege then
  raise warning using
    message = 'pgpod: could not create the Realtime policy "pgpod owners receive their job broadcasts" on realtime.messages',
    hint = 'Clients cannot join their private pgpod:jobs:<user id> channels until it exists. Run as a role '
        || 'that may change policies on realtime.messages: ' || pgpod.realtime_policy_sql();
end $$;
