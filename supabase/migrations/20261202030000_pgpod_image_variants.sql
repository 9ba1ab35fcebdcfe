-- Image variants: an endpoint may ask the webhook to store a WebP thumbnail
-- and a WebP conversion beside each PNG, JPEG or WebP output. The setting is
-- checked here so a bad one is refused when it is written, not when a
-- delivery reads it; the bound on max_megapixels is what keeps the work of one
-- image, and the codec memory a function instance keeps after it, inside an
-- Edge Function's CPU and memory (measured by npm run bench; variant-files.ts
-- holds the same number).
create function pgpod.checked_variants(variants jsonb)
returns boolean
language plpgsql immutable set search_path = '' as $$
declare
  hard_max constant numeric := 1.5;
  unknown text;
begin
  if variants is null then
    return true;
  end if;
  if jsonb_typeof(variants) <> 'object' then
    raise exception 'pgpod: endpoints.variants must be a JSON object like {"thumbnail_width": 256, "webp": true}'
      using errcode = '22023';
  end if;
  select k into unknown from jsonb_object_keys(variants) k
   where k not in ('thumbnail_width', 'webp', 'max_megapixels') limit 1;
  if unknown is not null then
    raise exception 'pgpod: endpoints.variants has an unknown key "%" (thumbnail_width, webp, max_megapixels)', unknown
      using errcode = '22023';
  end if;
  if variants ? 'thumbnail_width' and not (jsonb_typeof(variants -> 'thumbnail_width') = 'number'
      and (variants ->> 'thumbnail_width')::numeric between 16 and 2048
      and (variants ->> 'thumbnail_width')::numeric = trunc((variants ->> 'thumbnail_width')::numeric)) then
    raise exception 'pgpod: endpoints.variants.thumbnail_width must be a whole number of pixels from 16 to 2048'
      using errcode = '22023';
  end if;
  if variants ? 'webp' and jsonb_typeof(variants -> 'webp') <> 'boolean' then
    raise exception 'pgpod: endpoints.variants.webp must be true or false' using errcode = '22023';
  end if;
  if variants ? 'max_megapixels' and not (jsonb_typeof(variants -> 'max_megapixels') = 'number'
      and (variants ->> 'max_megapixels')::numeric > 0 and (variants ->> 'max_megapixels')::numeric <= hard_max) then
    raise exception 'pgpod: endpoints.variants.max_megapixels must be above 0 and at most % (an Edge Function''s CPU and memory)', hard_max
      using errcode = '22023';
  end if;
  if not variants ? 'thumbnail_width' and coalesce((variants ->> 'webp')::boolean, false) = false then
    raise exception 'pgpod: endpoints.variants asks for nothing: set thumbnail_width, webp: true or both'
      using errcode = '22023';
  end if;
  return true;
end $$;

alter table pgpod.endpoints
  add column variants jsonb check (pgpod.checked_variants(variants));

comment on column pgpod.endpoints.variants is
  'Image variants the webhook stores beside each PNG, JPEG or WebP output: {"thumbnail_width": px, "webp": bool, "max_megapixels": cap}';

-- output_settings as before, plus the endpoint's variants with their defaults filled in.
create or replace function pgpod.output_settings(endpoint text)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
    'signed_url_ttl_s', e.signed_url_ttl_s,
    'variants', case when e.variants is not null then jsonb_build_object(
      'thumbnail_width', e.variants -> 'thumbnail_width',
      'webp', coalesce(e.variants -> 'webp', 'false'),
      'max_megapixels', coalesce(e.variants -> 'max_megapixels', '1.5')) end)
  from pgpod.endpoints e
  where e.name = output_settings.endpoint
$$;
