-- Exponential backoff, capped, with half of it jittered.
begin;
select plan(6);

select is(pgpod.backoff_s(1, 10, 600, 1), 10, 'attempt 1 waits the base at most');
select is(pgpod.backoff_s(1, 10, 600, 0), 5, 'attempt 1 waits half the base at least');
select is(pgpod.backoff_s(3, 10, 600, 1), 40, 'attempt 3 waits 4x the base at most');
select is(pgpod.backoff_s(3, 10, 600, 0.5), 30, 'jitter spreads between half and all of it');
select is(pgpod.backoff_s(10, 10, 600, 1), 600, 'the delay is capped');
select is(pgpod.backoff_s(40, 10, 600, 0), 300, 'the cap holds for large attempts');

select * from finish();
rollback;
