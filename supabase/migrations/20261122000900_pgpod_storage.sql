-- Outputs live at <bucket>/<owner_id>/<endpoint>/<job_id>/<filename>; an owner
-- reads only their own folder of a pgpod output bucket.
insert into storage.buckets (id, name, public)
values ('pgpod-outputs', 'pgpod-outputs', false)
on conflict (id) do nothing;

-- storage.objects belongs to Supabase's storage admin role. Where a project's
-- `postgres` may not add policies to it, the push goes on without this one and
-- says how to add it from the dashboard, instead of failing the whole push.
do $$
begin
  create policy "pgpod owners read their outputs" on storage.objects
    for select to authenticated
    using (
      bucket_id in (select e.output_bucket from pgpod.endpoints e)
      and (storage.foldername(name))[1] = (select auth.uid())::text
    );
exception when insufficient_privilege then
  raise warning using
    message = 'pgpod: could not create the storage policy "pgpod owners read their outputs" on storage.objects',
    hint = 'Owners cannot read their output files until it exists: add it in Dashboard > Storage > Policies, '
        || 'for SELECT to authenticated, using: bucket_id in (select e.output_bucket from pgpod.endpoints e) '
        || 'and (storage.foldername(name))[1] = (select auth.uid())::text';
end $$;
