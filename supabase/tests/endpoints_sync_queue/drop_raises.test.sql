-- Deleting an endpoint drops its queue, and still works when the queue is
-- already gone on a pgmq that raises for a missing queue (the 1.5.1 release).
begin;
select plan(5);

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base)
values ('t_drop_live', 'ep', 'http://runpod.test/v2'), ('t_drop_gone', 'ep', 'http://runpod.test/v2');

delete from pgpod.endpoints where name = 't_drop_live';
select hasnt_table('pgmq', 'q_pgpod_t_drop_live', 'deleting an endpoint drops its queue table');
select is_empty($$select 1 from pgmq.list_queues() where queue_name = 'pgpod_t_drop_live'$$,
  'and its queue is no longer listed');

-- The queue disappears behind pgpod's back, and drop_queue behaves as in the
-- 1.5.1 release whichever pgmq is installed.
select pgmq.drop_queue('pgpod_t_drop_gone');
create or replace function pgmq.drop_queue(queue_name text) returns boolean
language plpgsql set search_path = '' as $$
begin
  raise exception 'relation "pgmq.%" does not exist', pgmq.format_table_name(queue_name, 'q')
    using errcode = '42P01';
end $$;
select throws_ok($$select pgmq.drop_queue('pgpod_t_drop_gone')$$, '42P01', null,
  'pgmq here raises for a missing queue, as the 1.5.1 release does');

select lives_ok($$delete from pgpod.endpoints where name = 't_drop_gone'$$,
  'an endpoint whose queue is already gone can still be deleted');
select is_empty($$select 1 from pgpod.endpoints where name = 't_drop_gone'$$, 'and it is gone');

select * from finish();
rollback;
