-- endpoints.variants is checked when it is written: a setting the webhook
-- could not follow, or one past the bound that keeps an image's variants
-- inside an Edge Function's CPU and memory, is refused with what to fix.
begin;
select plan(10);

insert into pgpod.endpoints (name, runpod_endpoint_id) values ('t_var', 'ep');

select lives_ok($$update pgpod.endpoints set variants = '{"thumbnail_width": 256, "webp": true, "max_megapixels": 1.5}' where name = 't_var'$$,
  'a thumbnail, a conversion and the largest cap are accepted');
select lives_ok($$update pgpod.endpoints set variants = '{"webp": true}' where name = 't_var'$$, 'a conversion alone is accepted');
select lives_ok($$update pgpod.endpoints set variants = null where name = 't_var'$$, 'null turns variants off');
select throws_ok($$update pgpod.endpoints set variants = '{"thumbnail_width": 256, "max_megapixels": 1.51}' where name = 't_var'$$,
  '22023', 'pgpod: endpoints.variants.max_megapixels must be above 0 and at most 1.5 (an Edge Function''s CPU and memory)',
  'a cap past the hard bound is refused');
select throws_ok($$update pgpod.endpoints set variants = '{"thumbnail_width": 256, "max_megapixels": 0}' where name = 't_var'$$,
  '22023', null, 'a cap of zero is refused');
select throws_ok($$update pgpod.endpoints set variants = '{"thumbnail_width": 4096}' where name = 't_var'$$,
  '22023', 'pgpod: endpoints.variants.thumbnail_width must be a whole number of pixels from 16 to 2048', 'a huge thumbnail is refused');
select throws_ok($$update pgpod.endpoints set variants = '{"thumbnail_width": "256"}' where name = 't_var'$$,
  '22023', null, 'a width that is not a number is refused');
select throws_ok($$update pgpod.endpoints set variants = '{"max_megapixels": 1}' where name = 't_var'$$,
  '22023', 'pgpod: endpoints.variants asks for nothing: set thumbnail_width, webp: true or both', 'a setting that asks for nothing is refused');
select throws_ok($$insert into pgpod.endpoints (name, runpod_endpoint_id, variants) values ('t_var2', 'ep', '{"width": 256}')$$,
  '22023', 'pgpod: endpoints.variants has an unknown key "width" (thumbnail_width, webp, max_megapixels)', 'an unknown key is refused at insert too');
select is((select variants from pgpod.endpoints where name = 't_var'), null, 'refused updates left the setting as it was');

select * from finish();
rollback;
