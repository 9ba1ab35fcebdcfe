-- storage.foldername/filename/extension, used by storage RLS policies.
begin;
select extensions.plan(4);
select extensions.is(storage.foldername('u1/image/j1/a.png'), array['u1', 'image', 'j1'], 'foldername lists the folders');
select extensions.is(storage.filename('u1/image/j1/a.png'), 'a.png', 'filename is the last segment');
select extensions.is(storage.extension('u1/archive.tar.gz'), 'gz', 'extension is after the last dot');
select extensions.is(storage.foldername('top.png'), '{}'::text[], 'a top-level object has no folders');
select * from extensions.finish();
rollback;
