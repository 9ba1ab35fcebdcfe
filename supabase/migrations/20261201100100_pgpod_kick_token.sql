-- The dispatcher kick carries a token that expires instead of the dispatch
-- secret (pg_net keeps its requests in tables every role can read), and a kick
-- that cannot be sent never aborts the insert that asked for it.
create extension if not exists pgcrypto with schema extensions;

-- v1.<issued at, unix seconds>.<hex HMAC-SHA256 of 'pgpod-dispatch:<issued at>'>;
-- pgpod-dispatch accepts it for two minutes (supabase/functions/_shared/tokens.ts).
create function pgpod.dispatch_token(secret text, issued_at bigint default null)
returns text
language sql stable set search_path = '' as $$
  select 'v1.' || t || '.' || encode(extensions.hmac('pgpod-dispatch:' || t, secret, 'sha256'), 'hex')
  from (select coalesce(issued_at, floor(extract(epoch from clock_timestamp()))::bigint)::text as t) x
$$;

-- The dispatcher's URL under the project URL, or null when that is not an
-- http(s) URL: pg_net raises on a malformed one inside the caller's transaction.
create function pgpod.dispatch_url(project_url text)
returns text
language sql immutable set search_path = '' as $$
  select case
    when project_url ~ '^https?://([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(/[^[:space:]]*)?$'
    then rtrim(project_url, '/') || '/functions/v1/pgpod-dispatch'
  end
$$;

-- At most one recorded kick problem a minute, without taking a lock: the
-- insert path must never wait on another inserter.
create sequence pgpod.kick_problem_clock minvalue 0 start 0;
create index job_events_kick_failed_idx on pgpod.job_events (created_at) where kind = 'kick_failed';

create function pgpod.record_kick_problem(reason text, problem text)
returns void
language plpgsql security definer set search_path = '' as $$
declare
  minute bigint := floor(extract(epoch from clock_timestamp()) / 60);
begin
  if minute > (select last_value from pgpod.kick_problem_clock) then
    perform setval('pgpod.kick_problem_clock', minute);
    insert into pgpod.job_events (kind, detail)
    values ('kick_failed', jsonb_build_object('reason', reason, 'error', problem));
  end if;
end $$;

create or replace function pgpod.kick_dispatcher(reason text default 'kick', force boolean default false)
returns bigint
language plpgsql security definer set search_path = '' as $$
declare
  window_ms integer;
  tick bigint;
  project_url text;
  secret text;
  url text;
begin
  if not force then
    -- pg_net sends at commit, so one kick per transaction is all that helps
    if current_setting('pgpod.kicked', true) = 'on' then
      return null;
    end if;
    perform set_config('pgpod.kicked', 'on', true);
    select kick_debounce_ms into window_ms from pgpod.settings;
    tick := floor(extract(epoch from clock_timestamp()) * 1000 / window_ms);
    if tick <= (select last_value from pgpod.kick_clock) then
      return null;
    end if;
  end if;

  select decrypted_secret into project_url from vault.decrypted_secrets where name = 'pgpod_project_url';
  select decrypted_secret into secret from vault.decrypted_secrets where name = 'pgpod_dispatch_secret';
  if project_url is null or secret is null then
    return null;
  end if;
  if not force then
    perform setval('pgpod.kick_clock', tick);
  end if;
  url := pgpod.dispatch_url(project_url);
  if url is null then
    perform pgpod.record_kick_problem(reason, format(
      'pgpod: the Vault secret pgpod_project_url is not an http(s) URL (%s); nothing calls the dispatcher but this',
      left(project_url, 80)));
    return null;
  end if;
  begin
    return net.http_post(
      url => url,
      -- Inserts inside this window send no kick of their own; the dispatcher
      -- keeps looking for work at least this long so they are not left to cron.
      body => jsonb_strip_nulls(jsonb_build_object('reason', reason, 'linger_ms', window_ms)),
      params => '{}'::jsonb,
      headers => jsonb_build_object('Content-Type', 'application/json',
                                    'Authorization', 'Bearer ' || pgpod.dispatch_token(secret)),
      timeout_milliseconds => (select dispatch_timeout_ms from pgpod.settings)
    );
  exception when others then
    perform pgpod.record_kick_problem(reason, 'pgpod: pg_net refused the dispatcher call: ' || sqlerrm);
    return null;
  end;
end $$;

-- What operators read first; kick_problem is the last kick that could not be
-- sent in the past hour (a bad pgpod_project_url, pg_net refusing the call).
create or replace view pgpod.queue_health with (security_invoker = true) as
select q.endpoint,
       q.queue_name,
       q.queue_length,
       q.oldest_msg_age_s,
       q.newest_msg_age_s,
       q.total_messages,
       (select count(*) from pgpod.runs r
        where r.endpoint = q.endpoint and r.status = 'submitting'
          and r.claimed_at < now() - make_interval(secs => s.claim_vt_s)) as runs_stuck_submitting,
       (select count(*) from pgpod.runs r
        where r.endpoint = q.endpoint and r.status in ('IN_QUEUE', 'IN_PROGRESS')
          and coalesce(r.last_polled_at, r.submitted_at) < now() - make_interval(secs => s.poll_after_s)) as runs_overdue,
       (select ev.detail ->> 'error' from pgpod.job_events ev
        where ev.kind = 'kick_failed' and ev.created_at > now() - interval '1 hour'
        order by ev.created_at desc limit 1) as kick_problem
from pgpod.queue_metrics() q
cross join pgpod.settings s;
