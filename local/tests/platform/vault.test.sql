-- The Vault API: create, read decrypted, update, and unique names.
begin;
select extensions.plan(5);

select vault.create_secret('s3cr3t', 'test_secret', 'for the test') as id \gset
select extensions.is((select decrypted_secret from vault.decrypted_secrets where name = 'test_secret'), 's3cr3t',
  'a created secret reads back decrypted');
select vault.update_secret(:'id'::uuid, 'n3w');
select extensions.is((select decrypted_secret from vault.decrypted_secrets where id = :'id'), 'n3w', 'update_secret replaces the value');
select extensions.is((select description from vault.decrypted_secrets where id = :'id'), 'for the test', 'update_secret keeps what it is not given');
select extensions.throws_ok($$ select vault.create_secret('x', 'test_secret') $$, '23505', null,
  'a second secret with the same name is refused');

set local role authenticated;
select extensions.throws_ok($$ select * from vault.decrypted_secrets $$, '42501', null, 'clients cannot read the vault');
reset role;

select * from extensions.finish();
rollback;
