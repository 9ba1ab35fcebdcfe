// pgpod-archive's SQL: the files to archive read as the signed-in user (their
// RLS decides), and the archives it made, kept for the cache and for pruning.
import postgres from "postgres";
import { z } from "zod";

export const archiveFileSchema = z.object({
  job_id: z.string(),
  filename: z.string(),
  bucket: z.string(),
  path: z.string(),
  size: z.union([z.string(), z.number()]).nullable().transform((v) => (v === null ? null : Number(v))),
  sha256: z.string().nullable(),
});
export type ArchiveFile = z.output<typeof archiveFileSchema>;

export interface Selection {
  job_ids?: string[];
  endpoint?: string;
  created_after?: string;
  created_before?: string;
}

export interface StoredArchive {
  bucket: string;
  path: string;
  size: number;
  files: number;
}

const storedArchiveSchema = z.object({ bucket: z.string(), path: z.string(), size: z.number(), files: z.number() });

export interface ArchiveDb {
  /** The caller's files, read in a transaction as `authenticated` with the caller's claims. */
  filesOf(claims: Record<string, unknown>, selection: Selection): Promise<ArchiveFile[]>;
  cached(ownerId: string, key: string): Promise<StoredArchive | null>;
  record(ownerId: string, key: string, archive: StoredArchive): Promise<void>;
}

/** A refusal the caller caused, with PostgREST's HTTP status for its SQLSTATE. */
export function clientStatus(error: unknown): number | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return null;
  if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
  return code === "22023" || code === "22P02" || code === "22007" ? 400 : null;
}

export function archiveDb(url: string): ArchiveDb {
  const sql = postgres(url, {
    prepare: false,
    max: 2,
    idle_timeout: 20,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: "pgpod-archive" },
  });
  return {
    async filesOf(claims, selection) {
      const rows = await sql.begin(async (tx) => {
        await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
        await tx`set local role authenticated`;
        return await tx`
          select * from pgpod.archive_files(
            job_ids => ${selection.job_ids ?? null}::uuid[], endpoint => ${selection.endpoint ?? null},
            created_after => ${selection.created_after ?? null}::timestamptz,
            created_before => ${selection.created_before ?? null}::timestamptz)`;
      });
      return z.array(archiveFileSchema).parse(rows);
    },

    async cached(ownerId, key) {
      const [row] = await sql`select pgpod.cached_archive(${ownerId}, ${key}) as archive`;
      return row.archive ? storedArchiveSchema.parse(row.archive) : null;
    },

    async record(ownerId, key, archive) {
      await sql`select pgpod.record_archive(${ownerId}, ${key}, ${archive.bucket}, ${archive.path}, ${archive.size}, ${archive.files})`;
    },
  };
}
