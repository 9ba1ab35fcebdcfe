-- Extensions pgpod needs. Each is created only when absent, so the same
-- migration runs on a hosted project (real pgmq, pg_net, pg_cron) and on the
-- local stack, where stand-ins for pgmq and pg_net are installed beforehand.
do $$
begin
  if to_regclass('pgmq.meta') is null then
    create extension if not exists pgmq;
  end if;
  if to_regnamespace('net') is null then
    create extension if not exists pg_net with schema extensions;
  end if;
  if not exists (select 1 from pg_extension where extname = 'pg_cron') then
    create extension pg_cron with schema pg_catalog;
  end if;
end $$;
