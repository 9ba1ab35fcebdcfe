-- archive_files runs as the signed-in user: only their own jobs' files, a
-- requested job of someone else refused by id, and a filter required.
begin;
select plan(6);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000d1'), ('00000000-0000-4000-8000-0000000000d2');
insert into pgpod.endpoints (name, runpod_endpoint_id, api_base) values ('t_arch', 'ep', 'http://runpod.test/v2'),
                                                                      ('t_arch2', 'ep', 'http://runpod.test/v2');
insert into pgpod.jobs (id, endpoint, input, owner_id) values
  ('00000000-0000-4000-8000-00000000a001', 't_arch', '{}', '00000000-0000-4000-8000-0000000000d1'),
  ('00000000-0000-4000-8000-00000000a002', 't_arch2', '{}', '00000000-0000-4000-8000-0000000000d1'),
  ('00000000-0000-4000-8000-00000000b001', 't_arch', '{}', '00000000-0000-4000-8000-0000000000d2');
insert into pgpod.job_files (job_id, index, owner_id, filename, bucket, path, size) values
  ('00000000-0000-4000-8000-00000000a001', 0, '00000000-0000-4000-8000-0000000000d1', 'a.png', 'pgpod-outputs', 'd1/t_arch/a001/a.png', 3),
  ('00000000-0000-4000-8000-00000000a001', 1, '00000000-0000-4000-8000-0000000000d1', 'b.png', 'pgpod-outputs', 'd1/t_arch/a001/b.png', 4),
  ('00000000-0000-4000-8000-00000000a002', 0, '00000000-0000-4000-8000-0000000000d1', 'c.png', 'pgpod-outputs', 'd1/t_arch2/a002/c.png', 5),
  ('00000000-0000-4000-8000-00000000b001', 0, '00000000-0000-4000-8000-0000000000d2', 'x.png', 'pgpod-outputs', 'd2/t_arch/b001/x.png', 6);

select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-0000000000d1","role":"authenticated"}', true);
set local role authenticated;
select results_eq($$ select filename from pgpod.archive_files(job_ids => array['00000000-0000-4000-8000-00000000a001'::uuid]) $$,
  $$ values ('a.png'), ('b.png') $$, 'the files of the named job, in order');
select results_eq($$ select filename from pgpod.archive_files(endpoint => 't_arch') $$,
  $$ values ('a.png'), ('b.png') $$, 'a filter matches only the caller''s jobs');
select throws_ok($$ select * from pgpod.archive_files(job_ids => array['00000000-0000-4000-8000-00000000a001', '00000000-0000-4000-8000-00000000b001']::uuid[]) $$,
  'PT404', 'pgpod: job 00000000-0000-4000-8000-00000000b001 not found', 'another user''s job is refused by id');
select throws_ok($$ select * from pgpod.archive_files() $$, '22023',
  'pgpod: name the jobs to archive (job_ids) or a filter (endpoint, created_after, created_before)', 'no selection is refused');
select throws_ok($$ select * from pgpod.archive_files(endpoint => 't_arch', max_files => 1) $$, 'PT413',
  'pgpod: 2 files match, more than the 1 one archive may hold', 'too many files are refused');
select is((select count(*) from pgpod.archive_files(created_after => now() - interval '1 hour')), 3::bigint,
  'a time filter covers every endpoint of the caller');
reset role;

select * from finish();
rollback;
