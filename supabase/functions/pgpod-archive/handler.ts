// pgpod-archive: a signed-in user POSTs job ids or a filter and gets a signed
// URL to one tar.gz of those jobs' files. The files are listed as that user
// (RLS: only their own jobs), streamed from Storage through tar and gzip into
// an upload at pgpod-archives/<user id>/<key>.tar.gz, where <key> digests the
// set of files, so asking again for the same set returns the archive made
// before. verify_jwt is on; the token is also checked with Auth. Browsers call
// it from the app's origin: preflights are answered, every answer is CORS-readable.
import type { ArchiveConfig } from "../_shared/config.ts";
import { withCors } from "../_shared/cors.ts";
import { BodyTooLarge, json, readText } from "../_shared/http.ts";
import { type StorageWriter, storageWriter } from "../_shared/storage.ts";
import { z } from "zod";
import { type ArchiveDb, archiveDb, type ArchiveFile, clientStatus } from "./db.ts";
import { type ObjectSource, SourceChanged, tarGz } from "./stream.ts";

export const archivesBucket = "pgpod-archives";
const defaultExpiresInS = 3600;

const requestSchema = z.strictObject({
  job_ids: z.array(z.uuid()).min(1).max(1000).optional(),
  endpoint: z.string().min(1).max(40).optional(),
  created_after: z.iso.datetime({ offset: true }).optional(),
  created_before: z.iso.datetime({ offset: true }).optional(),
  /** Lifetime of the signed URL in the answer, in seconds. */
  expires_in: z.number().int().min(60).max(7 * 24 * 3600).optional(),
});

export interface ArchiveDeps {
  db: ArchiveDb;
  storage: StorageWriter;
  /** The signed-in user's id and JWT claims, or null when Auth does not accept the token. */
  user(token: string): Promise<{ id: string; claims: Record<string, unknown> } | null>;
  source: ObjectSource;
  /** Uploads the stream to the archives bucket (upsert); throws on a refusal. */
  upload(path: string, body: ReadableStream<Uint8Array>): Promise<void>;
}

function serviceHeaders(config: ArchiveConfig): Record<string, string> {
  return { apikey: config.serviceRoleKey, authorization: `Bearer ${config.serviceRoleKey}` };
}

function objectUrl(config: ArchiveConfig, bucket: string, path: string): string {
  return `${config.supabaseUrl}/storage/v1/object/${bucket}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))));
}

export function archiveDeps(config: ArchiveConfig): ArchiveDeps {
  return {
    db: archiveDb(config.dbUrl),
    storage: storageWriter({ supabaseUrl: config.supabaseUrl, serviceRoleKey: config.serviceRoleKey, timeoutMs: config.requestTimeoutMs }),
    async user(token) {
      const res = await fetch(`${config.supabaseUrl}/auth/v1/user`, {
        headers: { apikey: config.serviceRoleKey, authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(config.requestTimeoutMs),
      });
      if (res.status !== 200) {
        await res.body?.cancel();
        return null;
      }
      const user = await res.json() as { id?: unknown };
      const claims = claimsOf(token);
      return typeof user.id === "string" && claims.role === "authenticated" ? { id: user.id, claims } : null;
    },
    source: {
      async open(bucket, path) {
        const res = await fetch(objectUrl(config, bucket, path), { headers: serviceHeaders(config) });
        const size = Number(res.headers.get("content-length"));
        if (res.status !== 200 || !res.body || !Number.isSafeInteger(size)) {
          await res.body?.cancel();
          throw new SourceChanged(`Storage answered ${res.status} for ${bucket}/${path}`);
        }
        return { size, body: res.body };
      },
    },
    async upload(path, body) {
      const res = await fetch(objectUrl(config, archivesBucket, path), {
        method: "POST",
        headers: { ...serviceHeaders(config), "content-type": "application/gzip", "x-upsert": "true" },
        body,
        // @ts-ignore: Deno streams a request body with duplex "half", which its RequestInit lacks in some versions
        duplex: "half",
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`Storage refused the archive (${res.status}): ${text}`);
    },
  };
}

/** The digest naming an archive: the same files (paths, sizes and checksums) give the same key. */
async function setKey(files: ArchiveFile[]): Promise<string> {
  const lines = files.map((f) => [f.job_id, f.filename, f.bucket, f.path, f.size ?? "", f.sha256 ?? ""].join("\u0000")).join("\n");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(lines)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function archiveHandler(config: ArchiveConfig, deps: ArchiveDeps = archiveDeps(config)) {
  return withCors(async (req: Request): Promise<Response> => {
    if (req.method !== "POST") return json(405, { error: "use POST" });
    const token = /^Bearer\s+(.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1] ?? "";
    const user = token === "" ? null : await deps.user(token);
    if (!user) {
      await req.body?.cancel();
      return json(401, { error: "sign in: pgpod-archive needs a user's access token" });
    }
    let body: unknown;
    try {
      body = JSON.parse(await readText(req, 256 * 1024) || "{}");
    } catch (error) {
      if (error instanceof BodyTooLarge) return json(413, { error: error.message });
      return json(400, { error: "body must be JSON" });
    }
    const parsed = requestSchema.safeParse(body);
    if (!parsed.success) {
      return json(400, { error: "invalid request", issues: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`) });
    }
    const { expires_in: expiresIn = defaultExpiresInS, ...selection } = parsed.data;

    try {
      const files = await deps.db.filesOf(user.claims, selection);
      if (files.length === 0) return json(404, { error: "pgpod: the selected jobs have no files" });
      const key = await setKey(files);
      const path = `${user.id}/${key}.tar.gz`;
      let archive = await deps.db.cached(user.id, key);
      const cached = archive !== null && (await deps.storage.info(archivesBucket, archive.path)) !== null;
      if (!cached) {
        const { stream, bytes } = tarGz(deps.source, files, Math.floor(Date.now() / 1000));
        await deps.upload(path, stream);
        archive = { bucket: archivesBucket, path, size: bytes(), files: files.length };
        await deps.db.record(user.id, key, archive);
      }
      const [signedUrl] = await deps.storage.signedUrls(archivesBucket, [archive!.path], expiresIn);
      if (!signedUrl) throw new Error(`the archive ${archive!.path} vanished before it could be signed`);
      return json(200, { cached, archive, signed_url: signedUrl, expires_in: expiresIn });
    } catch (error) {
      const status = clientStatus(error);
      if (status !== null) return json(status, { error: (error as Error).message });
      const message = (error as Error).message;
      console.error(`pgpod-archive for ${user.id}: ${message}`);
      return json(error instanceof SourceChanged ? 409 : 502, { error: message });
    }
  });
}
