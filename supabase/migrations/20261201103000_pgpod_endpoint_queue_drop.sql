-- Deleting an endpoint drops its pgmq queue. pgmq versions disagree about a
-- queue that is already gone: the 1.5.1 release raises (relation
-- "pgmq.q_<name>" does not exist), later 1.5 commits return false. Either way
-- the endpoint is deleted: its queue is gone, which is what the drop is for.
create or replace function pgpod.endpoints_sync_queue() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'DELETE' then
    begin
      perform pgmq.drop_queue(queue_name => old.queue_name::text);
    exception when undefined_table then
      raise notice 'pgpod: the queue % of endpoint % was already gone', old.queue_name, old.name;
    end;
    return old;
  end if;
  perform pgmq.create(queue_name => new.queue_name::text);
  return new;
end $$;
