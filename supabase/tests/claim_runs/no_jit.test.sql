-- claim_runs plans with seq scans off, so a statement whose only path is a
-- seq scan carries the disable cost, far past jit_above_cost: it must run
-- with JIT off, or every claim compiles that statement (hundreds of ms).
begin;
select plan(2);

select ok((select 'enable_seqscan=off' = any(proconfig) from pg_catalog.pg_proc where oid = 'pgpod.claim_runs(text, integer)'::regprocedure),
  'claim_runs plans with seq scans off');
select ok((select 'jit=off' = any(proconfig) from pg_catalog.pg_proc where oid = 'pgpod.claim_runs(text, integer)'::regprocedure),
  'and runs without JIT');

select * from finish();
rollback;
