-- The seeded documents example: a document becomes a transcribe job, and the
-- job's end updates the document and writes its transcript atomically.
begin;
select plan(6);

insert into auth.users (id) values ('00000000-0000-4000-8000-00000000000a');
select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000a","role":"authenticated"}', true);
set local role authenticated;
insert into public.documents (title, audio_url) values ('one', 'https://x/one.wav'), ('two', 'https://x/two.wav');
reset role;
select set_config('request.jwt.claims', '', true);

select is((select count(*) from pgpod.jobs where source_table = 'public.documents'
           and owner_id = '00000000-0000-4000-8000-00000000000a' and input ? 'url'), 2::bigint,
  'each document becomes a transcribe job of its owner');

update pgpod.endpoints set max_attempts = 1 where name = 'transcribe';
update pgpod.jobs set max_attempts = 1 where source_table = 'public.documents';
create temp table c on commit drop as select * from pgpod.claim_runs('transcribe', 1);
create temp table d on commit drop as
select id, title, (select j.id from pgpod.jobs j where j.source_id = doc.id::text) as job_id from public.documents doc;

select pgpod.complete_run((select run_id from c), 1, jsonb_build_object('id', 'rp', 'status', 'COMPLETED', 'output', jsonb_build_object(
  'results', jsonb_build_array(
    jsonb_build_object('job_id', (select job_id from d where title = 'one'), 'output', '{"text": "hello", "language": "en"}'::jsonb),
    jsonb_build_object('job_id', (select job_id from d where title = 'two'), 'error', 'unreadable audio')))));

select is((select status from public.documents where title = 'one'), 'done', 'the succeeded document is done');
select is((select text from public.document_transcriptions where document_id = (select id from d where title = 'one')), 'hello',
  'its transcript is written');
select is((select status from public.documents where title = 'two'), 'failed', 'the failed document is failed');
select is((select count(*) from public.document_transcriptions where document_id = (select id from d where title = 'two')), 0::bigint,
  'with no transcript');

select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-00000000000a","role":"authenticated"}', true);
set local role authenticated;
select throws_ok($$ update public.documents set status = 'done' $$, '42501', null, 'clients cannot set a document''s status');
reset role;

select * from finish();
rollback;
