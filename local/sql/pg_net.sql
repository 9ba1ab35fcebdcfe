-- Local stand-in for the pg_net 0.20 extension: the `net` schema with the same
-- tables and request functions apps call. The functions check the URL, queue
-- the request and call net.wake(); local/net/worker.ts sends it. Because the
-- queue insert is part of the caller's transaction and the wake-up is delivered
-- only at commit, requests leave after COMMIT and a rolled-back transaction
-- sends nothing, as with pg_net.
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

-- Helpers of earlier versions of this file, replaced below.
drop function if exists net._urlencode(text);
drop function if exists net._url_with_params(text, jsonb);
drop function if exists net._enqueue(text, text, jsonb, bytea, int);

-- Percent-encodes everything but RFC 3986 unreserved characters, byte by byte
-- of the UTF-8 form, as pg_net's curl_escape does for query parameters.
create or replace function net._urlencode_string(string varchar)
returns text
language sql immutable strict set search_path = '' as $$
  select coalesce(string_agg(
    case
      when b between 48 and 57 or b between 65 and 90 or b between 97 and 122 or b in (45, 46, 95, 126)
        then chr(b)
      else '%' || upper(lpad(to_hex(b), 2, '0'))
    end, '' order by i), '')
  from (select convert_to(string, 'UTF8') as bytes) as encoded,
       generate_series(0, length(encoded.bytes) - 1) as i,
       lateral get_byte(encoded.bytes, i) as b
$$;

-- pg_net hands the URL to libcurl's URL parser when the request function is
-- called, so a URL libcurl refuses raises right there, inside the caller's
-- transaction (SQLSTATE XX000), and nothing is queued. pg_net passes libcurl's
-- URL error code to the wrong strerror function, so the messages are those of
-- unrelated transfer errors; they are kept word for word because callers see
-- exactly these. The hints are the stand-in's own.
create or replace function net._encode_url_with_params_array(url text, params_array text[])
returns text
language plpgsql immutable strict set search_path = '' as $$
declare
  -- scheme ":" ["//" authority] path ["?" query] ["#" fragment]
  parts text[] := regexp_match(url, '^([A-Za-z][A-Za-z0-9+.-]*):(//[^/?#]*)?([^?#]*)(\?[^#]*)?(#.*)?$');
  host_and_port text;
  port text;
  query text;
begin
  if url ~ '[\x01-\x20\x7f]' or url = '' then
    raise exception 'URL using bad/illegal format or missing URL' using errcode = 'XX000',
      hint = 'The URL is empty or contains a space or control character.';
  end if;
  if parts is null then
    raise exception 'Out of memory' using errcode = 'XX000',
      hint = 'libcurl found no scheme in the URL: it must start with https:// or http://.';
  end if;
  if lower(parts[1]) <> all (array[
    'dict', 'file', 'ftp', 'ftps', 'gopher', 'gophers', 'http', 'https', 'imap', 'imaps', 'ldap', 'ldaps',
    'mqtt', 'pop3', 'pop3s', 'rtmp', 'rtsp', 'scp', 'sftp', 'smb', 'smbs', 'smtp', 'smtps', 'telnet',
    'tftp', 'ws', 'wss'
  ]) then
    raise exception 'Couldn''t resolve proxy name' using errcode = 'XX000',
      hint = format('libcurl does not know the URL scheme "%s".', parts[1]);
  end if;

  if parts[2] is not null then
    host_and_port := regexp_replace(substr(parts[2], 3), '^.*@', '');
    port := case
      when host_and_port like '[%' then substring(host_and_port from '^\[[^]]*\]:(.*)$')
      else substring(host_and_port from ':(.*)$')
    end;
    if port <> '' and (port !~ '^[0-9]{1,5}$' or port::int > 65535) then
      raise exception 'A requested feature, protocol or option was not found built-in in this libcurl due to a build-time decision.'
        using errcode = 'XX000', hint = 'The URL''s port is not a number between 0 and 65535.';
    end if;
  end if;

  -- libcurl appends each parameter to the query and writes an empty path as "/".
  query := nullif(concat_ws('&', nullif(substr(parts[4], 2), ''),
    (select string_agg(p, '&' order by n) from unnest(params_array) with ordinality as a(p, n))), '');
  return parts[1] || ':' || coalesce(parts[2], '')
    || case when parts[2] is not null and parts[3] = '' then '/' else parts[3] end
    || coalesce('?' || query, '')
    || coalesce(parts[5], '');
end $$;

-- The query parameters of a request: keys whose value is JSON null are left out.
create or replace function net._params_array(params jsonb)
returns text[]
language sql immutable set search_path = '' as $$
  select coalesce(array_agg(net._urlencode_string(p.key) || '=' || net._urlencode_string(p.value) order by p.n), '{}')
  from jsonb_each_text(coalesce(params, '{}'::jsonb)) with ordinality as p(key, value, n)
  where p.value is not null
$$;

-- Wakes the worker when the calling transaction commits (NOTIFY is delivered
-- only then), as pg_net's own net.wake() does. The request functions call it;
-- a row inserted straight into net.http_request_queue waits for the next call.
create or replace function net.wake()
returns void
language sql set search_path = '' as $$
  select pg_notify('pg_net_wake', '')
$$;

-- Headers that are not a JSON object make the real worker fail on the row at
-- every round (it cannot turn them into header lines), which blocks the
-- queue. The stand-in refuses them when a request function is called instead;
-- a row inserted straight into the queue with such headers gets an error response.
create or replace function net._refuse_non_object_headers(headers jsonb)
returns void
language plpgsql immutable set search_path = '' as $$
begin
  if jsonb_typeof(headers) <> 'object' then
    raise exception 'headers must be a JSON object, not %', jsonb_typeof(headers) using errcode = '22023';
  end if;
end $$;

-- Queues one request and wakes the worker at commit.
create or replace function net._enqueue(method text, url text, params jsonb, headers jsonb, body bytea, timeout_milliseconds int)
returns bigint
language plpgsql set search_path = '' as $$
declare
  request_id bigint;
begin
  perform net._refuse_non_object_headers(headers);
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (method, net._encode_url_with_params_array(url, net._params_array(params)), headers, body, timeout_milliseconds)
  returning id into request_id;
  perform net.wake();
  return request_id;
end $$;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language sql set search_path = '' as $$
  select net._enqueue('GET', url, params, headers, null, timeout_milliseconds)
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
  content_type text;
begin
  perform net._refuse_non_object_headers(headers);
  -- Header names are case-insensitive, so any spelling of Content-Type counts;
  -- one whose value is JSON null counts as absent.
  select h.value into content_type
  from jsonb_each_text(coalesce(headers, '{}'::jsonb)) as h
  where lower(h.key) = 'content-type'
  limit 1;

  if content_type is null then
    -- NULL headers stay NULL, so such a request goes out with libcurl's
    -- defaults (Content-Type application/x-www-form-urlencoded), as with pg_net.
    headers := headers || '{"Content-Type": "application/json"}'::jsonb;
  elsif content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;

  return net._enqueue('POST', url, params, headers, convert_to(body::text, 'UTF8'), timeout_milliseconds);
end $$;

create or replace function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000,
  body jsonb default null
) returns bigint
language sql set search_path = '' as $$
  select net._enqueue('DELETE', url, params, headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
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
