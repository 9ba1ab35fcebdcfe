-- Job broadcasts written per statement instead of per row.
--
-- The row trigger called realtime.broadcast_changes once per changed job, and
-- realtime.send wraps each insert into realtime.messages in its own
-- subtransaction: about half of a bulk insert and of claim + mark went there.
-- These statement triggers build all of a statement's messages from its
-- transition tables and write them with one insert, in one subtransaction.
-- The messages are the ones realtime.send writes: same topic, event, private
-- flag, extension and payload ({record, old_record, operation, table, schema}
-- and an id that is also the message's id), so Realtime delivers them alike.
--
-- What users see: every change of a job except its claim. queued ->
-- submitting is the dispatcher taking the job a few milliseconds before its
-- /run call; the next broadcast (submitted, or queued again when the call
-- fails) follows at once, and a read still shows submitting. Other changes of
-- a submitting job (a cancel request) are broadcast.
--
-- Failures: realtime.send turns any error into a warning that pg_net,
-- PostgREST and the Edge Functions drop. Here a failed insert (no INSERT
-- privilege, no partition of realtime.messages for today, an RLS refusal)
-- is undone alone, warned about, and each lost message is recorded as a
-- broadcast_failed event; the job change itself always goes through. That
-- replaces the jobs_broadcast_lost row trigger, which checked the privilege
-- for every row. The sender stays the owner of pgpod.jobs_broadcast(), as
-- setup_checks expects.

drop trigger jobs_broadcast on pgpod.jobs;
drop trigger jobs_broadcast_lost on pgpod.jobs;
drop function pgpod.jobs_broadcast_lost();

-- Same name and owner as before (setup_checks names the grant its owner
-- needs). Security definer so the message insert does not depend on the
-- writer's privileges on realtime.messages. Ownerless jobs are not broadcast.
-- record is the job without its input (up to 10 MB, far past Realtime's
-- payload limit) and without the dispatcher's run_id and submit_failures;
-- old_record has the identity, status and attempt before the change. The
-- claim (queued -> submitting, see the header) is left out.
create or replace function pgpod.jobs_broadcast() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  problem text;
  lost_ids uuid[];
  lost_owners uuid[];
begin
  begin
    if tg_op = 'INSERT' then
      insert into realtime.messages (id, topic, extension, event, private, payload)
      select m.id, 'pgpod:jobs:' || m.owner_id::text, 'broadcast', tg_op, true, jsonb_build_object(
               'record', m.record, 'old_record', m.old_record,
               'operation', tg_op, 'table', tg_table_name, 'schema', tg_table_schema, 'id', m.id)
      from (select gen_random_uuid() as id, n.owner_id, jsonb_build_object(
                     'id', n.id, 'endpoint', n.endpoint, 'owner_id', n.owner_id, 'status', n.status,
                     'output', n.output, 'error', n.error, 'attempt', n.attempt, 'max_attempts', n.max_attempts,
                     'idempotency_key', n.idempotency_key, 'run_after', n.run_after,
                     'cancel_requested_at', n.cancel_requested_at, 'source_table', n.source_table,
                     'source_id', n.source_id, 'created_at', n.created_at, 'submitted_at', n.submitted_at,
                     'started_at', n.started_at, 'finished_at', n.finished_at, 'updated_at', n.updated_at) as record, null::jsonb as old_record
            from new_jobs n where n.owner_id is not null) m;
    elsif tg_op = 'UPDATE' then
      insert into realtime.messages (id, topic, extension, event, private, payload)
      select m.id, 'pgpod:jobs:' || m.owner_id::text, 'broadcast', tg_op, true, jsonb_build_object(
               'record', m.record, 'old_record', m.old_record,
               'operation', tg_op, 'table', tg_table_name, 'schema', tg_table_schema, 'id', m.id)
      from (select gen_random_uuid() as id, n.owner_id, jsonb_build_object(
                     'id', n.id, 'endpoint', n.endpoint, 'owner_id', n.owner_id, 'status', n.status,
                     'output', n.output, 'error', n.error, 'attempt', n.attempt, 'max_attempts', n.max_attempts,
                     'idempotency_key', n.idempotency_key, 'run_after', n.run_after,
                     'cancel_requested_at', n.cancel_requested_at, 'source_table', n.source_table,
                     'source_id', n.source_id, 'created_at', n.created_at, 'submitted_at', n.submitted_at,
                     'started_at', n.started_at, 'finished_at', n.finished_at, 'updated_at', n.updated_at) as record,
                   jsonb_build_object(
                     'id', o.id, 'endpoint', o.endpoint, 'owner_id', o.owner_id, 'status', o.status,
                     'attempt', o.attempt, 'updated_at', o.updated_at) as old_record
            from new_jobs n join old_jobs o on o.id = n.id
            where n.owner_id is not null and not (n.status = 'submitting' and o.status <> 'submitting')) m;
    else
      insert into realtime.messages (id, topic, extension, event, private, payload)
      select m.id, 'pgpod:jobs:' || m.owner_id::text, 'broadcast', tg_op, true, jsonb_build_object(
               'record', m.record, 'old_record', m.old_record,
               'operation', tg_op, 'table', tg_table_name, 'schema', tg_table_schema, 'id', m.id)
      from (select gen_random_uuid() as id, o.owner_id, null::jsonb as record, jsonb_build_object(
                     'id', o.id, 'endpoint', o.endpoint, 'owner_id', o.owner_id, 'status', o.status,
                     'attempt', o.attempt, 'updated_at', o.updated_at) as old_record
            from old_jobs o where o.owner_id is not null) m;
    end if;
  exception when others then
    problem := case when sqlstate = '42501' then format('%s may not insert into realtime.messages', current_user)
                    else sqlerrm end;
    -- the rows the insert above would have sent
    if tg_op = 'INSERT' then
      select array_agg(n.id), array_agg(n.owner_id) into lost_ids, lost_owners
      from new_jobs n where n.owner_id is not null;
    elsif tg_op = 'UPDATE' then
      select array_agg(n.id), array_agg(n.owner_id) into lost_ids, lost_owners
      from new_jobs n join old_jobs o on o.id = n.id
      where n.owner_id is not null and not (n.status = 'submitting' and o.status <> 'submitting');
    else
      select array_agg(o.id), array_agg(o.owner_id) into lost_ids, lost_owners
      from old_jobs o where o.owner_id is not null;
    end if;
    raise warning 'pgpod: %; the % of % is not broadcast', problem, tg_op,
      case when cardinality(lost_ids) = 1 then 'job ' || lost_ids[1] else cardinality(lost_ids) || ' jobs' end
      using hint = 'select * from pgpod.setup_checks';
    begin
      -- a deleted job's event cannot reference it
      insert into pgpod.job_events (job_id, kind, detail)
      select case when tg_op = 'DELETE' then null else l.id end, 'broadcast_failed',
             jsonb_build_object('job_id', l.id, 'topic', 'pgpod:jobs:' || l.owner::text, 'event', tg_op, 'error', problem)
      from unnest(lost_ids, lost_owners) as l(id, owner);
    exception when others then
      raise warning 'pgpod: the lost broadcasts could not be recorded either: %', sqlerrm;
    end;
  end;
  return null;
end $$;

-- A trigger with transition tables serves one event.
create trigger jobs_broadcast_insert
  after insert on pgpod.jobs
  referencing new table as new_jobs
  for each statement execute function pgpod.jobs_broadcast();
create trigger jobs_broadcast_update
  after update on pgpod.jobs
  referencing old table as old_jobs new table as new_jobs
  for each statement execute function pgpod.jobs_broadcast();
create trigger jobs_broadcast_delete
  after delete on pgpod.jobs
  referencing old table as old_jobs
  for each statement execute function pgpod.jobs_broadcast();
