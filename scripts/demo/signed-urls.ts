// Proves stored outputs are reachable the way a client reaches them: with the
// owner's session, ask Storage for a signed URL, download it without any key,
// and compare the bytes with what pgpod recorded.
import { createHash } from "node:crypto";
import type { Sql } from "postgres";
import type { DemoUser } from "./users.ts";

export interface FetchedFile {
  endpoint: string;
  path: string;
  ok: boolean;
  detail: string;
}

interface FileRow {
  owner_id: string;
  endpoint: string;
  bucket: string;
  path: string;
  size: string;
  sha256: string | null;
}

/** Two images (not their stored variants) and the directly uploaded file, when the run produced them. */
async function pickFiles(sql: Sql, jobIds: string[]): Promise<FileRow[]> {
  return sql<FileRow[]>`
    (select f.owner_id, j.endpoint, f.bucket, f.path, f.size, f.sha256
       from pgpod.job_files f join pgpod.jobs j on j.id = f.job_id
      where f.job_id = any(${jobIds}::uuid[]) and j.endpoint = 'image' and f.content_type = 'image/png'
      order by f.created_at limit 2)
    union all
    (select f.owner_id, j.endpoint, f.bucket, f.path, f.size, f.sha256
       from pgpod.job_files f join pgpod.jobs j on j.id = f.job_id
      where f.job_id = any(${jobIds}::uuid[]) and j.endpoint = 'upload'
      limit 1)`;
}

async function fetchOne(user: DemoUser, file: FileRow): Promise<FetchedFile> {
  const base = { endpoint: file.endpoint, path: `${file.bucket}/${file.path}` };
  const { data, error } = await user.client.storage.from(file.bucket).createSignedUrl(file.path, 60);
  if (error) return { ...base, ok: false, detail: `createSignedUrl failed: ${error.message}` };
  const res = await fetch(data.signedUrl);
  if (!res.ok) return { ...base, ok: false, detail: `GET signed URL answered ${res.status}` };
  const bytes = Buffer.from(await res.arrayBuffer());
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (bytes.length !== Number(file.size)) return { ...base, ok: false, detail: `got ${bytes.length} bytes, job_files says ${file.size}` };
  if (file.sha256 && sha256 !== file.sha256) return { ...base, ok: false, detail: "sha256 differs from job_files" };
  const isPng = bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const checked = file.sha256 ? "size and sha256 match" : "size matches (uploaded by the worker, no sha256 recorded)";
  return { ...base, ok: true, detail: `${bytes.length} bytes${isPng ? ", PNG" : ""}, ${checked}` };
}

export async function fetchSignedUrls(sql: Sql, users: DemoUser[], jobIds: string[]): Promise<FetchedFile[]> {
  const files = await pickFiles(sql, jobIds);
  return Promise.all(files.map((file) => fetchOne(users.find((u) => u.id === file.owner_id)!, file)));
}
