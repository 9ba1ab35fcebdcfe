// The demo's image jobs as an app shows them: from a job's output.files, the
// result URL the webhook signed for the image and the one for its stored WebP
// thumbnail, each fetched without any key and checked for what it should be.
import type { Sql } from "postgres";
import { imageSize } from "../../supabase/functions/_shared/image-header.ts";

interface OutputFile {
  index: number;
  filename: string;
  content_type: string;
  signed_url: string | null;
  variant?: string;
  variant_of?: number;
}

export interface FetchedUrl {
  filename: string;
  url: string | null;
  ok: boolean;
  detail: string;
}

export interface ImageResult {
  jobId: string;
  image: FetchedUrl;
  thumbnail: FetchedUrl | null;
}

async function fetchUrl(file: OutputFile): Promise<FetchedUrl> {
  const base = { filename: file.filename, url: file.signed_url };
  if (!file.signed_url) return { ...base, ok: false, detail: "no signed_url in output.files" };
  const res = await fetch(file.signed_url);
  if (!res.ok) return { ...base, ok: false, detail: `GET answered ${res.status}` };
  const bytes = new Uint8Array(await res.arrayBuffer());
  const size = imageSize(bytes, file.content_type);
  if (!size) return { ...base, ok: false, detail: `${bytes.length} bytes that are not ${file.content_type}` };
  return { ...base, ok: true, detail: `${size.width}×${size.height} ${file.content_type}, ${bytes.length} bytes` };
}

/** The first `count` succeeded image jobs, by when they finished. */
export async function readImageResults(sql: Sql, jobIds: string[], count = 2): Promise<ImageResult[]> {
  const rows = await sql<{ id: string; files: OutputFile[] }[]>`
    select id, output -> 'files' as files from pgpod.jobs
    where id = any(${jobIds}::uuid[]) and endpoint = 'image' and status = 'succeeded'
    order by finished_at limit ${count}`;
  return await Promise.all(rows.map(async ({ id, files }) => {
    const original = files.find((f) => f.variant === undefined) ?? files[0];
    const thumb = files.find((f) => f.variant === "thumb" && f.variant_of === original.index);
    return { jobId: id, image: await fetchUrl(original), thumbnail: thumb ? await fetchUrl(thumb) : null };
  }));
}

export const imageResultsOk = (results: ImageResult[]) =>
  results.length > 0 && results.every((r) => r.image.ok && r.thumbnail?.ok === true);

export function formatImageResults(results: ImageResult[]): string[] {
  const lines = ["image results (output.files as the webhook wrote them, each signed URL fetched without a key):"];
  if (results.length === 0) lines.push("  (no succeeded image jobs)");
  const line = (label: string, f: FetchedUrl) => `  ${f.ok ? "ok  " : "FAIL"} ${label.padEnd(9)} ${f.filename}: ${f.detail}\n         ${f.url ?? "-"}`;
  for (const r of results) {
    lines.push(`  job ${r.jobId}`, line("image", r.image));
    lines.push(r.thumbnail ? line("thumbnail", r.thumbnail) : "  FAIL thumbnail none in output.files");
  }
  return lines;
}
