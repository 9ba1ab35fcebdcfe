-- schedule_dispatch creates (or updates) the dispatch and prune cron jobs.
begin;
select plan(5);

create temp table s on commit drop as select pgpod.schedule_dispatch('10 seconds') as schedule;
select is((select schedule from s),
  case when (select string_to_array(split_part(extversion, '-', 1), '.')::int[] >= array[1, 5] from pg_extension where extname = 'pg_cron')
       then '10 seconds' else '* * * * *' end,
  'seconds schedules on pg_cron 1.5+, every minute before');
select is((select command from cron.job where jobname = 'pgpod-dispatch'), 'select pgpod.kick_dispatcher(''cron'', true)',
  'the cron job kicks the dispatcher');
select is((select schedule from cron.job where jobname = 'pgpod-prune'), '17 3 * * *', 'prune runs daily');
select is(pgpod.schedule_dispatch('5 minutes'), '*/5 * * * *', 'minutes become a minute schedule');
select is((select count(*) from cron.job where jobname = 'pgpod-dispatch'), 1::bigint, 'rescheduling updates the job');

select * from finish();
rollback;
