-- Clients no longer need endpoints.public_outputs: each file in output.files
-- carries its public URL when its bucket is public.
revoke select (public_outputs) on pgpod.endpoints from authenticated;
