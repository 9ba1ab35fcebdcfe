// The import's manifest: one entry per file already uploaded and verified,
// rewritten (atomically) after each one, so an interrupted import resumes
// where it stopped and a repeated one changes nothing.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";

const entrySchema = z.object({ size: z.number(), mtime_ms: z.number(), sha256: z.string(), content_type: z.string() });
export type ManifestEntry = z.infer<typeof entrySchema>;
const manifestSchema = z.object({ bucket: z.string(), prefix: z.string(), files: z.record(z.string(), entrySchema) });
type ManifestData = z.infer<typeof manifestSchema>;

export class Manifest {
  private constructor(private readonly file: string, private readonly data: ManifestData) {}

  /** The manifest at `file` for this bucket and prefix; a missing one is empty, another import's is refused. */
  static open(file: string, bucket: string, prefix: string): Manifest {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      return new Manifest(file, { bucket, prefix, files: {} });
    }
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${file} is not an import manifest; move it away or pass --manifest`);
    if (parsed.data.bucket !== bucket || parsed.data.prefix !== prefix) {
      throw new Error(`${file} belongs to an import into ${parsed.data.bucket}/${parsed.data.prefix}; pass --manifest for another one`);
    }
    return new Manifest(file, parsed.data);
  }

  get(relative: string): ManifestEntry | undefined {
    return this.data.files[relative];
  }

  record(relative: string, entry: ManifestEntry): void {
    this.data.files[relative] = entry;
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, JSON.stringify(this.data, null, 2));
    renameSync(temp, this.file);
  }
}
