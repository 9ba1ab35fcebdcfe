-- A read-only operator role for dashboards outside Supabase Studio (the local
-- ops page): a JWT whose role claim is pgpod_ops may read the three ops views
-- through one function, and nothing else. The views run with their caller's
-- rights (security_invoker), so a role granted only the views would also need
-- the tables under them; the function reads the views as their owner instead,
-- which gives the operator the summaries without a single job input or output.

do $$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'pgpod_ops') then
    create role pgpod_ops nologin noinherit;
  end if;
end $$;

-- PostgREST switches to the role named in the token only if authenticator is a member.
grant pgpod_ops to authenticator;
grant usage on schema pgpod to pgpod_ops;

-- The ops views at one instant, with jobs finished per 10 s over the last
-- 10 minutes per endpoint (for throughput charts) and the 50 newest failures.
create function pgpod.ops_snapshot()
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
    'at', now(),
    'endpoint_stats', coalesce((select jsonb_agg(to_jsonb(s) order by s.endpoint) from pgpod.endpoint_stats s), '[]'),
    'queue_health', coalesce((select jsonb_agg(to_jsonb(q) order by q.endpoint) from pgpod.queue_health q), '[]'),
    'recent_failures', coalesce((select jsonb_agg(to_jsonb(f) order by f.finished_at desc)
                                 from (select * from pgpod.recent_failures limit 50) f), '[]'),
    'finished', coalesce((
      select jsonb_agg(jsonb_build_object('endpoint', b.endpoint, 'bin', b.bin, 'succeeded', b.succeeded, 'failed', b.failed,
                                          'cancelled', b.cancelled) order by b.bin, b.endpoint)
      from (select j.endpoint,
                   pg_catalog.date_bin('10 seconds', j.finished_at, timestamptz '2000-01-01') as bin,
                   count(*) filter (where j.status = 'succeeded') as succeeded,
                   count(*) filter (where j.status = 'failed') as failed,
                   count(*) filter (where j.status = 'cancelled') as cancelled
            from pgpod.jobs j
            where j.finished_at > now() - interval '10 minutes'
            group by 1, 2) b), '[]'))
$$;

revoke all on function pgpod.ops_snapshot() from public, anon, authenticated;
grant execute on function pgpod.ops_snapshot() to pgpod_ops, service_role;
