-- Output files a browser would run (HTML, SVG, XML, scripts) are stored with
-- their own type only for endpoints that say so; the webhook reads the flag
-- from run_context.
alter table pgpod.endpoints add column allow_active_outputs boolean not null default false;

create or replace function pgpod.run_context(run_id bigint, attempt integer, runpod_job_id text)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
           'run_id', r.id, 'attempt', r.attempt, 'endpoint', r.endpoint, 'bucket', e.output_bucket,
           'public_outputs', e.public_outputs, 'allow_active_outputs', e.allow_active_outputs, 'grouped', r.grouped,
           'jobs', (select jsonb_agg(jsonb_build_object('job_id', j.id,
                                                        'storage_prefix', pgpod.storage_prefix(j.owner_id, r.endpoint, j.id))
                                     order by array_position(r.job_ids, j.id))
                    from pgpod.jobs j where j.id = any(r.job_ids)))
  from pgpod.runs r
  join pgpod.endpoints e on e.name = r.endpoint
  where r.id = run_context.run_id and r.attempt = run_context.attempt
    and r.status in ('submitting', 'IN_QUEUE', 'IN_PROGRESS')
    and (r.runpod_job_id is null or r.runpod_job_id = run_context.runpod_job_id)
$$;
