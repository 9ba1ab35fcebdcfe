// `npm run import-files -- <dir> --bucket B [--prefix P] [--manifest F] [--dry-run]`:
// uploads a folder tree to Storage with the service key. Content types come
// from the bytes, each upload is read back and its SHA-256 compared, a
// manifest makes an interrupted import resume and a repeated one change
// nothing, and an object already there with other bytes is a conflict, never
// overwritten. --dry-run says what would happen and writes nothing.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { StorageClient } from "@supabase/storage-js";
import { detectedContentType } from "../supabase/functions/_shared/content-type.ts";
import { Manifest } from "./import-files/manifest.ts";
import { megabytes, Progress } from "./import-files/progress.ts";

const usage = "usage: npm run import-files -- <dir> --bucket <bucket> [--prefix <prefix>] [--manifest <file>] [--dry-run]";

interface LocalFile {
  relative: string;
  path: string;
  size: number;
  mtimeMs: number;
}

type Action = "upload" | "skip" | "conflict";

function filesUnder(root: string, exclude: string): LocalFile[] {
  const found: LocalFile[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile() && path !== exclude && path !== `${exclude}.tmp`) {
        const stat = statSync(path);
        found.push({ relative: relative(root, path).split(sep).join("/"), path, size: stat.size, mtimeMs: stat.mtimeMs });
      }
    }
  };
  visit(root);
  return found;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function storedSha256(storage: StorageClient, bucket: string, key: string): Promise<string | null | "missing"> {
  const info = await storage.from(bucket).info(key);
  if (info.error) {
    const status = (info.error as { status?: number; statusCode?: string }).status;
    if (status === 404 || /not found/i.test(info.error.message)) return "missing";
    throw new Error(`Storage info for ${bucket}/${key}: ${info.error.message}`);
  }
  const recorded = (info.data.metadata as Record<string, unknown> | null)?.sha256;
  if (typeof recorded === "string") return recorded;
  return await downloadedSha256(storage, bucket, key);
}

async function downloadedSha256(storage: StorageClient, bucket: string, key: string): Promise<string | null> {
  const { data, error } = await storage.from(bucket).download(key);
  if (error) return null;
  return sha256(new Uint8Array(await data.arrayBuffer()));
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { bucket: { type: "string" }, prefix: { type: "string" }, manifest: { type: "string" }, "dry-run": { type: "boolean" } },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return 1;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || !values.bucket) {
    process.stderr.write(`${usage}\n`);
    return 1;
  }
  const root = resolve(positionals[0]);
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    process.stderr.write(`import-files: ${positionals[0]} is not a directory\n`);
    return 1;
  }
  const url = process.env.SUPABASE_URL;
  const key = process.env.SUPABASE_SERVICE_ROLE_KEY;
  if (!url || !key) {
    process.stderr.write("import-files: set SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (for the local stack: eval \"$(npm run -s stack -- env | sed 's/^/export /')\")\n");
    return 1;
  }
  const bucket = values.bucket;
  const prefix = (values.prefix ?? "").replace(/^\/+|\/+$/g, "");
  const dryRun = values["dry-run"] === true;
  const manifestFile = resolve(values.manifest ?? join(root, ".pgpod-import.json"));
  const storage = new StorageClient(`${url.replace(/\/+$/, "")}/storage/v1`, { apikey: key, authorization: `Bearer ${key}` });

  const found = await storage.getBucket(bucket);
  if (found.error) {
    process.stderr.write(`import-files: bucket "${bucket}": ${found.error.message}\n`);
    return 1;
  }
  let manifest: Manifest;
  try {
    manifest = Manifest.open(manifestFile, bucket, prefix);
  } catch (error) {
    process.stderr.write(`import-files: ${(error as Error).message}\n`);
    return 1;
  }

  const files = filesUnder(root, manifestFile);
  const progress = new Progress(files.length, files.reduce((sum, f) => sum + f.size, 0));
  const counts: Record<Action | "failed", number> = { upload: 0, skip: 0, conflict: 0, failed: 0 };
  let uploadedBytes = 0;
  for (const file of files) {
    const objectKey = prefix ? `${prefix}/${file.relative}` : file.relative;
    let action: Action | "failed";
    let note = "";
    try {
      const bytes = readFileSync(file.path);
      const digest = sha256(bytes);
      const contentType = await detectedContentType(bytes, file.relative, undefined);
      const recorded = manifest.get(file.relative);
      const entry = { size: file.size, mtime_ms: file.mtimeMs, sha256: digest, content_type: contentType };
      if (recorded?.sha256 === digest) {
        action = "skip";
      } else {
        const stored = await storedSha256(storage, bucket, objectKey);
        action = stored === "missing" ? "upload" : stored === digest ? "skip" : "conflict";
        if (action === "conflict") note = " (Storage holds other bytes; left as it is)";
        if (!dryRun && action === "skip") manifest.record(file.relative, entry);
        if (!dryRun && action === "upload") {
          const { error } = await storage.from(bucket).upload(objectKey, bytes, { contentType, upsert: false, metadata: { sha256: digest } });
          if (error) throw new Error(error.message);
          const check = await downloadedSha256(storage, bucket, objectKey);
          if (check !== digest) throw new Error(`read back with sha256 ${check ?? "(unreadable)"}, expected ${digest}`);
          manifest.record(file.relative, entry);
          uploadedBytes += file.size;
        }
      }
      if (dryRun) process.stdout.write(`${action.padEnd(8)} ${bucket}/${objectKey} ${contentType} ${file.size} bytes${note}\n`);
    } catch (error) {
      action = "failed";
      note = `: ${(error as Error).message}`;
    }
    counts[action]++;
    if (!dryRun) {
      progress.step(action, `${bucket}/${objectKey}`, file.size);
      if (note) process.stderr.write(`${action} ${bucket}/${objectKey}${note}\n`);
    } else if (action === "failed") {
      process.stdout.write(`failed   ${bucket}/${objectKey}${note}\n`);
    }
  }
  const verb = dryRun ? "would upload" : "uploaded";
  process.stdout.write(
    `${dryRun ? "dry run, nothing changed: " : ""}${files.length} files: ${counts.upload} ${verb}` +
      `${dryRun ? "" : ` (${megabytes(uploadedBytes)} MB, checksums verified)`}, ${counts.skip} skipped, ` +
      `${counts.conflict} conflicting, ${counts.failed} failed\n`,
  );
  if (!dryRun && (counts.failed > 0 || counts.conflict > 0)) {
    process.stdout.write(`run it again to retry the failed files; ${manifestFile} remembers what is done\n`);
  }
  return counts.failed > 0 || counts.conflict > 0 ? 1 : 0;
}
