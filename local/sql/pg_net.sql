-- Local stand-in for the pg_net 0.20 extension: the `net` schema with the same
-- tables and request functions apps call. The functions only queue the request
-- and notify; local/net/worker.ts sends it. Because the queue insert is part of
-- the caller's transaction and NOTIFY is delivered only at commit, requests
-- leave after COMMIT and a rolled-back transaction sends nothing, as with pg_net.
create schema if not exists net;

do $$
begin
  if not exists (
    select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where n.nspname = 'net' and t.typname = 'http_method'
  ) then
    create domain net.http_method as text
      check (value ilike 'get' or value ilike 'post' or value ilike 'delete');
  end if;
end $$;

-- Unlogged like pg_net's: queued requests and responses do not survive a crash.
create unlogged table if not exists net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb,
  body bytea,
  timeout_milliseconds int not null
);

create unlogged table if not exists net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out bool,
  error_msg text,
  created timestamptz not null default now()
);

create index if not exists _http_response_created_idx on net._http_response (created);

-- Percent-encodes everything but RFC 3986 unreserved characters, byte by byte
-- of the UTF-8 form, the way pg_net escapes query parameters.
create or replace function net._urlencode(value text)
returns text
language sql immutable strict set search_path = '' as $$
  select coalesce(string_agg(
    case
      when b between 48 and 57 or b between 65 and 90 or b between 97 and 122 or b in (45, 46, 95, 126)
        then chr(b)
      else '%' || upper(lpad(to_hex(b), 2, '0'))
    end, '' order by i), '')
  from (select convert_to(value, 'UTF8') as bytes) as encoded,
       generate_series(0, length(encoded.bytes) - 1) as i,
       lateral get_byte(encoded.bytes, i) as b
$$;

-- Appends params (a JSON object) to url as a query string; keys whose value is
-- JSON null are left out.
create or replace function net._url_with_params(url text, params jsonb)
returns text
language sql immutable set search_path = '' as $$
  select case
    when query is null or query = '' then url
    when position('?' in url) > 0 then url || '&' || query
    else url || '?' || query
  end
  from (
    select string_agg(net._urlencode(p.key) || '=' || net._urlencode(p.value), '&' order by p.ordinality) as query
    from jsonb_each_text(coalesce(params, '{}'::jsonb)) with ordinality as p(key, value, ordinality)
    where p.value is not null
  ) as q
$$;

-- Queues one request and wakes the worker at commit. The payload is constant so
-- that many requests in one transaction collapse into a single notification.
create or replace function net._enqueue(method text, url text, headers jsonb, body bytea, timeout_milliseconds int)
returns bigint
language plpgsql set search_path = '' as $$
declare
  request_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (method, url, headers, body, timeout_milliseconds)
  returning id into request_id;
  perform pg_notify('pg_net_request_queued', '');
  return request_id;
end $$;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language sql set search_path = '' as $$
  select net._enqueue('GET', net._url_with_params(url, params), headers, null, timeout_milliseconds)
$$;

create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language plpgsql set search_path = '' as $$
declare
  content_type_key text;
begin
  -- Header names are case-insensitive, so any spelling of Content-Type counts.
  select h.key into content_type_key
  from jsonb_each_text(coalesce(headers, '{}'::jsonb)) as h
  where lower(h.key) = 'content-type'
  limit 1;

  if content_type_key is null then
    headers := coalesce(headers, '{}'::jsonb) || '{"Content-Type": "application/json"}'::jsonb;
  elsif headers ->> content_type_key is distinct from 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;

  return net._enqueue(
    'POST', net._url_with_params(url, params), headers,
    convert_to(body::text, 'UTF8'), timeout_milliseconds);
end $$;

create or replace function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000,
  body jsonb default null
) returns bigint
language sql set search_path = '' as $$
  select net._enqueue(
    'DELETE', net._url_with_params(url, params), headers,
    convert_to(body::text, 'UTF8'), timeout_milliseconds)
$$;

-- pg_net >= 0.12 opens its tables and sequences to PUBLIC; the API roles call
-- the request functions (the Data API does not expose the net schema).
grant usage on schema net to public;
grant all on all tables in schema net to public;
grant all on all sequences in schema net to public;
grant execute on function
  net.http_get(text, jsonb, jsonb, int),
  net.http_post(text, jsonb, jsonb, jsonb, int),
  net.http_delete(text, jsonb, jsonb, int, jsonb)
to anon, authenticated, service_role;
