-- claim_runs without JIT. With enable_seqscan off (20261202020100), a
-- statement whose only path is a seq scan (pgpod.settings has no index)
-- carries the planner's disable cost, which is far past jit_above_cost: each
-- claim then compiled its settings read, 170-400 ms a call instead of
-- milliseconds. Its statements are small keyed reads, which JIT never helps.
alter function pgpod.claim_runs(text, integer) set jit = off;
