-- storage_prefix puts a job's files under its owner's folder, which the
-- storage policy matches; service jobs share the 'service' folder.
begin;
select plan(3);

select is(pgpod.storage_prefix('6f1d7c6e-9b1a-4c7e-8a51-2f0c3b1e9d10', 'image', '0d9e5d5e-1111-4c7e-8a51-2f0c3b1e9d10'),
  '6f1d7c6e-9b1a-4c7e-8a51-2f0c3b1e9d10/image/0d9e5d5e-1111-4c7e-8a51-2f0c3b1e9d10/',
  'owner / endpoint / job, with a trailing slash');
select is((storage.foldername(pgpod.storage_prefix('6f1d7c6e-9b1a-4c7e-8a51-2f0c3b1e9d10', 'image',
                                                    '0d9e5d5e-1111-4c7e-8a51-2f0c3b1e9d10') || 'a.png'))[1],
  '6f1d7c6e-9b1a-4c7e-8a51-2f0c3b1e9d10', 'the first folder is the owner, as the storage policy expects');
select is(pgpod.storage_prefix(null, 'image', '0d9e5d5e-1111-4c7e-8a51-2f0c3b1e9d10'),
  'service/image/0d9e5d5e-1111-4c7e-8a51-2f0c3b1e9d10/', 'jobs without an owner go to the service folder');

select * from finish();
rollback;
