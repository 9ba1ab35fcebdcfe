-- Clients that hold a job's state (a read, then Realtime broadcasts) keep the
-- newer of two states by updated_at. now() is the transaction's start, so a
-- transaction that began earlier but updated the row later, or two updates in
-- one transaction, would give a later state an updated_at no greater than the
-- one before. Each update therefore moves updated_at past the old value, which
-- keeps it strictly increasing per job, to the microsecond.
create function pgpod.jobs_order_updates() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.updated_at := greatest(new.updated_at, old.updated_at + interval '1 microsecond');
  return new;
end $$;

-- "zz" so it runs after any other BEFORE UPDATE trigger that sets updated_at.
create trigger zz_jobs_order_updates
  before update on pgpod.jobs
  for each row execute function pgpod.jobs_order_updates();

-- Clients link to public output files with the bucket's public URL, and need
-- to know which endpoints write to a public bucket.
grant select (public_outputs) on pgpod.endpoints to authenticated;
