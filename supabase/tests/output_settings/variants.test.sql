-- output_settings hands the webhook the endpoint's variants with their
-- defaults filled in (no conversion, the largest cap), or null without them.
begin;
select plan(3);

insert into pgpod.endpoints (name, runpod_endpoint_id, signed_url_ttl_s) values ('t_os', 'ep', 600);

select is(pgpod.output_settings('t_os'), '{"signed_url_ttl_s": 600, "variants": null}'::jsonb, 'no variants: null');
update pgpod.endpoints set variants = '{"thumbnail_width": 128}' where name = 't_os';
select is(pgpod.output_settings('t_os') -> 'variants', '{"thumbnail_width": 128, "webp": false, "max_megapixels": 1.5}'::jsonb,
  'a thumbnail alone: no conversion, the largest cap');
update pgpod.endpoints set variants = '{"webp": true, "max_megapixels": 0.5}' where name = 't_os';
select is(pgpod.output_settings('t_os') -> 'variants', '{"thumbnail_width": null, "webp": true, "max_megapixels": 0.5}'::jsonb,
  'a conversion alone with its own cap');

select * from finish();
rollback;
