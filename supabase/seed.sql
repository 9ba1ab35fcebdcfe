-- Demo endpoints for the local RunPod emulator's workers, and the documents
-- example: an app table whose rows become transcription jobs, and whose
-- status and transcript are written in the transaction that finishes the job.
-- The emulator listens on 127.0.0.1:54331 by default; a stack on other ports
-- points api_base at its own emulator after seeding.

insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, batch_size, max_attempts, backoff_base_s,
                             backoff_max_s, execution_timeout_ms, direct_upload, input_schema)
values
  ('image',      'image',      'http://127.0.0.1:54331/v2', 1, 3, 5, 60, 120000, false, '{"required": ["prompt"]}'),
  ('transcribe', 'transcribe', 'http://127.0.0.1:54331/v2', 8, 3, 5, 60, 120000, false, '{"required": ["url"]}'),
  ('upload',     'upload',     'http://127.0.0.1:54331/v2', 1, 3, 5, 60, 120000, true,  null),
  ('flaky',      'flaky',      'http://127.0.0.1:54331/v2', 1, 5, 1, 8,  60000,  false, null),
  ('sleep',      'sleep',      'http://127.0.0.1:54331/v2', 1, 3, 5, 60, 600000, false, null),
  ('noop',       'noop',       'http://127.0.0.1:54331/v2', 1, 3, 5, 60, 60000,  false, null)
on conflict (name) do nothing;

-- Beside each image the webhook stores a 160 px WebP thumbnail and a WebP
-- conversion (README, Thumbnails and variants); the web app and the demo show
-- the thumbnail.
update pgpod.endpoints set variants = '{"thumbnail_width": 160, "webp": true}' where name = 'image' and variants is null;

-- The documents example ------------------------------------------------------

create table if not exists public.documents (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text not null,
  audio_url text not null,
  status text not null default 'transcribing' check (status in ('transcribing', 'done', 'failed', 'cancelled')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists documents_owner_idx on public.documents (owner_id);
-- The audio is either a URL or a file the user uploaded to their folder of
-- pgpod-inputs (<user id>/inputs/<name>); the job then references the file.
alter table public.documents add column if not exists audio_path text;
alter table public.documents alter column audio_url drop not null;
alter table public.documents drop constraint if exists documents_audio_check;
alter table public.documents add constraint documents_audio_check check (audio_url is not null or audio_path is not null);

create table if not exists public.document_transcriptions (
  document_id uuid primary key references public.documents (id) on delete cascade,
  owner_id uuid not null,
  job_id uuid not null,
  text text not null,
  language text,
  created_at timestamptz not null default now()
);
create index if not exists document_transcriptions_owner_idx on public.document_transcriptions (owner_id);

alter table public.documents enable row level security;
alter table public.document_transcriptions enable row level security;
revoke all on public.documents, public.document_transcriptions from anon, authenticated;
grant select on public.documents, public.document_transcriptions to authenticated;
grant insert (title, audio_url, audio_path) on public.documents to authenticated;
grant all on public.documents, public.document_transcriptions to service_role;

drop policy if exists "owners read their documents" on public.documents;
create policy "owners read their documents" on public.documents
  for select to authenticated using (owner_id = (select auth.uid()));
drop policy if exists "owners add documents" on public.documents;
create policy "owners add documents" on public.documents
  for insert to authenticated with check (owner_id = (select auth.uid()));
drop policy if exists "owners read their transcriptions" on public.document_transcriptions;
create policy "owners read their transcriptions" on public.document_transcriptions
  for select to authenticated using (owner_id = (select auth.uid()));

-- What the transcribe worker gets for a document.
create or replace function public.document_job_input(doc public.documents)
returns jsonb
language sql stable set search_path = '' as $$
  select jsonb_build_object('url', case when doc.audio_path is not null then pgpod.input_file(doc.audio_path)
                                       else to_jsonb(doc.audio_url) end,
                            'document_id', doc.id)
$$;

drop trigger if exists documents_transcribe on public.documents;
create trigger documents_transcribe
  after insert on public.documents
  for each row execute function pgpod.enqueue_row('transcribe', 'public.document_job_input');

-- Called by pgpod when a transcribe job ends, in the same transaction.
create or replace function public.document_transcribed(job pgpod.jobs)
returns void
language plpgsql set search_path = '' as $$
begin
  if job.source_table is distinct from 'public.documents' then
    return;
  end if;
  update public.documents d
     set status = case job.status when 'succeeded' then 'done' when 'cancelled' then 'cancelled' else 'failed' end,
         updated_at = now()
   where d.id = job.source_id::uuid;
  if job.status = 'succeeded' then
    insert into public.document_transcriptions (document_id, owner_id, job_id, text, language)
    select d.id, d.owner_id, job.id, coalesce(job.output ->> 'text', ''), job.output ->> 'language'
    from public.documents d where d.id = job.source_id::uuid
    on conflict (document_id) do update
      set job_id = excluded.job_id, text = excluded.text, language = excluded.language, created_at = now();
  end if;
end $$;
revoke all on function public.document_transcribed(pgpod.jobs) from public, anon, authenticated;
revoke all on function public.document_job_input(public.documents) from public, anon, authenticated;

update pgpod.endpoints set on_complete = 'public.document_transcribed' where name = 'transcribe';
