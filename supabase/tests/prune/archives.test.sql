-- prune marks archives made before the cutoff as expired (the dispatcher
-- removes their objects); expired ones are no longer served from the cache.
begin;
select plan(5);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000c1');
select pgpod.record_archive('00000000-0000-4000-8000-0000000000c1', repeat('a', 64), 'pgpod-archives', 'u/old.tar.gz', 10, 1);
select pgpod.record_archive('00000000-0000-4000-8000-0000000000c1', repeat('b', 64), 'pgpod-archives', 'u/new.tar.gz', 10, 1);
update pgpod.archives set created_at = now() - interval '30 days' where key = repeat('a', 64);

create temp table res on commit drop as select pgpod.prune('7 days') as r;
select is((select (r ->> 'expired_archives')::int from res), 1, 'the old archive is expired');
select is(pgpod.cached_archive('00000000-0000-4000-8000-0000000000c1', repeat('a', 64)), null, 'and no longer served from the cache');
select isnt(pgpod.cached_archive('00000000-0000-4000-8000-0000000000c1', repeat('b', 64)), null, 'the new one still is');
select results_eq($$ select path from pgpod.expired_archives(10) $$, $$ values ('u/old.tar.gz') $$,
  'the dispatcher is handed the expired one');
select pgpod.forget_archives(array(select id from pgpod.expired_archives(10)));
select is((select count(*) from pgpod.archives where owner_id = '00000000-0000-4000-8000-0000000000c1'), 1::bigint,
  'forgetting removes only expired rows');

select * from finish();
rollback;
