-- auth.uid(), auth.role() and auth.jwt() read the caller's claims the way
-- Supabase sets them for PostgREST, Storage and Realtime.
begin;
select extensions.plan(6);

select extensions.is(auth.uid(), null, 'no claims: auth.uid() is null');

select set_config('request.jwt.claims',
  '{"sub":"6f1d7c6e-9b1a-4c7e-8a51-2f0c3b1e9d10","role":"authenticated","email":"a@example.com"}', true);
select extensions.is(auth.uid(), '6f1d7c6e-9b1a-4c7e-8a51-2f0c3b1e9d10'::uuid, 'auth.uid() is the sub claim');
select extensions.is(auth.role(), 'authenticated', 'auth.role() is the role claim');
select extensions.is(auth.email(), 'a@example.com', 'auth.email() is the email claim');
select extensions.is(auth.jwt() ->> 'role', 'authenticated', 'auth.jwt() returns every claim');

select set_config('request.jwt.claim.sub', '0d9e5d5e-1111-4c7e-8a51-2f0c3b1e9d10', true);
select extensions.is(auth.uid(), '0d9e5d5e-1111-4c7e-8a51-2f0c3b1e9d10'::uuid,
  'the legacy request.jwt.claim.sub setting wins, as on Supabase');

select * from extensions.finish();
rollback;
