-- Deleting an endpoint whose queue is already gone works on a pgmq that
-- returns false for a missing queue (1.5 commits after the 1.5.1 release).
begin;
select plan(3);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_drop_false', 'ep', 'http://runpod.test/v2');

-- The queue disappears behind pgpod's back, and drop_queue behaves as in the
-- later 1.5 commits whichever pgmq is installed.
select pgmq.drop_queue('pgpod_t_drop_false');
create or replace function pgmq.drop_queue(queue_name text) returns boolean
language plpgsql set search_path = '' as $$
begin
  raise notice 'pgmq queue `%` does not exist', queue_name;
  return false;
end $$;
select is(pgmq.drop_queue('pgpod_t_drop_false'), false, 'pgmq here returns false for a missing queue');

select lives_ok($$delete from pgpod.endpoints where name = 't_drop_false'$$,
  'an endpoint whose queue is already gone can still be deleted');
select is_empty($$select 1 from pgpod.endpoints where name = 't_drop_false'$$, 'and it is gone');

select * from finish();
rollback;
