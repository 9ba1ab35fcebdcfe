-- claim_runs as before, with plans that stale statistics cannot flip (see
-- 20261202000100_pgpod_lean_hot_paths.sql). Every statement here reads jobs
-- by id, a few hundred at most, yet two stale pictures flipped the old plans:
-- - analysed while every job had finished: status = 'queued' implies the
--   predicate of jobs_active_idx, which then looked nearly empty and was
--   walked instead of the primary key. The status predicates now compare
--   status::text, which cannot be proven to imply it;
-- - analysed after a prune, few live jobs among many dead ones: each index
--   lookup then looked as dear as reading the table, and the claimed jobs'
--   update (joined through the new runs' job_ids) and the per-message checks
--   scanned all of pgpod.jobs. The update now names the claimed ids
--   (= any(placed)), and seq scans are off for this function, so a keyed
--   lookup is always planned as one (a table without an index to use, such
--   as pgpod.settings, is still read whole).
-- supabase/tests/claim_runs/plan_bound.test.sql sets up the prune picture and
-- checks that neither jobs_active_idx nor the whole of pgpod.jobs is scanned.
create or replace function pgpod.claim_runs(endpoint text, max_runs integer default 10)
returns table (
  run_id bigint,
  attempt integer,
  endpoint_name text,
  runpod_endpoint_id text,
  api_base text,
  execution_timeout_ms integer,
  ttl_ms integer,
  low_priority boolean,
  direct_upload boolean,
  output_bucket text,
  signed_url_ttl_s integer,
  grouped boolean,
  jobs jsonb,
  input jsonb
)
language plpgsql security definer set search_path = '' set enable_seqscan = off as $$
#variable_conflict use_column
declare
  e pgpod.endpoints;
  capacity integer := max_runs;
  msgs pgmq.message_record[];
  claim_ids uuid[];
  stale_ids bigint[];
  -- RunPod refuses /run bodies over 10 MB: a grouped run's inputs stay below
  -- that, with room for the envelope (webhook URL, policy) and each job's
  -- wrapper and upload URL
  body_budget constant bigint := 10 * 1000 * 1000 - 64 * 1024;
  job_overhead constant integer := 1024;
  item record;
  grp integer := 0;
  in_grp integer := 0;
  grp_bytes bigint := 0;
  placed uuid[] := '{}';
  groups integer[] := '{}';
  left_over bigint[] := '{}';
begin
  select * into e from pgpod.endpoints x where x.name = claim_runs.endpoint;
  if not found then
    raise exception 'pgpod: unknown endpoint "%"', claim_runs.endpoint using errcode = '23503';
  end if;
  if e.paused or coalesce(max_runs, 0) < 1 then
    return;
  end if;
  if e.max_in_flight is not null then
    -- one claimer per capped endpoint at a time keeps the count exact; a
    -- claimer that finds another one busy leaves the work to it
    perform 1 from pgpod.endpoints x where x.name = e.name for no key update skip locked;
    if not found then
      return;
    end if;
    capacity := least(capacity, e.max_in_flight - (
      select count(*) from pgpod.runs r
      where r.endpoint = e.name and r.status in ('submitting', 'IN_QUEUE', 'IN_PROGRESS')));
    if capacity < 1 then
      return;
    end if;
  end if;

  select array_agg(m) into msgs
  from pgmq.read(queue_name => e.queue_name::text, vt => (select s.claim_vt_s from pgpod.settings s),
                 qty => capacity * e.batch_size) m;
  if msgs is null then
    return;
  end if;

  -- A job row locked by someone else (a cancel in progress) is skipped; its
  -- message stays hidden and comes back after the visibility timeout.
  select array_agg(j.id) into claim_ids
  from (
    select j.id from pgpod.jobs j
    where j.id = any(array(select (m.message ->> 'job_id')::uuid from unnest(msgs) m))
      and j.status::text = 'queued'
    for update skip locked
  ) j;

  -- Messages of jobs no longer queued (cancelled, finished, taken through a
  -- newer message) and repeated messages of one job are dropped for good.
  select array_agg(m.msg_id) into stale_ids
  from (
    select m.msg_id,
           row_number() over (partition by m.message ->> 'job_id' order by m.msg_id) as nth,
           exists (select 1 from pgpod.jobs j where j.id = (m.message ->> 'job_id')::uuid and j.status::text = 'queued') as live
    from unnest(msgs) m
  ) m
  where not m.live or m.nth > 1;
  if stale_ids is not null then
    perform pgmq.delete(queue_name => e.queue_name::text, msg_ids => stale_ids);
  end if;
  if claim_ids is null then
    return;
  end if;

  -- Oldest first, each run takes up to batch_size jobs and, in grouped mode,
  -- no more input bytes than one /run body holds. Jobs that no run has room
  -- for go back to the queue at once.
  for item in
    select j.id, m.msg_id, case when e.batch_size > 1 then octet_length(j.input::text) else 0 end as bytes
    from pgpod.jobs j
    join (select (x.message ->> 'job_id')::uuid as job_id, min(x.msg_id) as msg_id
          from unnest(msgs) x group by 1) m on m.job_id = j.id
    where j.id = any(claim_ids)
    order by m.msg_id
  loop
    if in_grp > 0 and (in_grp >= e.batch_size or grp_bytes + item.bytes + job_overhead > body_budget) then
      grp := grp + 1;
      in_grp := 0;
      grp_bytes := 0;
    end if;
    if grp >= capacity then
      left_over := left_over || item.msg_id;
      continue;
    end if;
    placed := placed || item.id;
    groups := groups || grp;
    in_grp := in_grp + 1;
    grp_bytes := grp_bytes + item.bytes + job_overhead;
  end loop;
  if cardinality(left_over) > 0 then
    perform pgmq.set_vt(queue_name => e.queue_name::text, msg_id => mid, vt => 0) from unnest(left_over) mid;
  end if;

  return query
  with grouped as (
    select j.id, j.input, j.owner_id, j.attempt + 1 as attempt, m.msg_id, p.grp
    from unnest(placed, groups) as p(id, grp)
    join pgpod.jobs j on j.id = p.id
    join (select (x.message ->> 'job_id')::uuid as job_id, min(x.msg_id) as msg_id
          from unnest(msgs) x group by 1) m on m.job_id = j.id
    where j.id = any(placed)
  ), new_runs as (
    insert into pgpod.runs (endpoint, attempt, grouped, job_ids, msg_ids)
    select e.name, max(g.attempt), e.batch_size > 1,
           array_agg(g.id order by g.msg_id), array_agg(g.msg_id order by g.msg_id)
    from grouped g
    group by g.grp
    returning id, attempt, job_ids
  ), started as (
    update pgpod.jobs j
       set status = 'submitting', run_id = r.id, attempt = j.attempt + 1, updated_at = now()
      from (select n.id, unnest(n.job_ids) as job_id from new_runs n) r
     where j.id = r.job_id and j.id = any(placed)
  )
  select r.id, r.attempt, e.name, e.runpod_endpoint_id, e.api_base, e.execution_timeout_ms, e.ttl_ms,
         e.low_priority, e.direct_upload, e.output_bucket, e.signed_url_ttl_s, e.batch_size > 1,
         (select jsonb_agg(jsonb_build_object(
                   'job_id', g.id, 'owner_id', g.owner_id,
                   'storage_prefix', pgpod.storage_prefix(g.owner_id, e.name, g.id))
                 order by g.msg_id)
            from grouped g where g.id = any(r.job_ids)),
         case when e.batch_size > 1
              then jsonb_build_object('jobs', (
                     select jsonb_agg(jsonb_build_object('job_id', g.id, 'input', g.input) order by g.msg_id)
                     from grouped g where g.id = any(r.job_ids)))
              else (select g.input from grouped g where g.id = r.job_ids[1]) end
  from new_runs r
  order by r.id;
end $$;
