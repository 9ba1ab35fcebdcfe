-- What storing a finished job's files needs besides run_context: how the
-- URLs written into output.files are made. A function of its own, so the
-- delivery path's run_context stays as it is; it is read only for deliveries
-- that store files.
create function pgpod.output_settings(endpoint text)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object('signed_url_ttl_s', e.signed_url_ttl_s)
  from pgpod.endpoints e
  where e.name = output_settings.endpoint
$$;

revoke all on function pgpod.output_settings(text) from public, anon, authenticated;
grant execute on function pgpod.output_settings(text) to service_role;
