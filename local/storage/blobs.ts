// Object bytes on disk: <dataDir>/objects/<bucket>/<key>/<version>. Each write
// goes to <dataDir>/tmp first and is renamed into place only once complete, so
// a failed upload leaves nothing behind; a new version never overwrites the
// file a concurrent download may be reading.
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { copyFile, link, mkdir, rename, rm, rmdir, unlink } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { errors } from "./errors.ts";

export interface ReceivedFile {
  tmpPath: string;
  size: number;
  eTag: string;
}

export class BlobStore {
  private readonly objectsDir: string;
  private readonly tmpDir: string;

  constructor(dataDir: string) {
    this.objectsDir = join(dataDir, "objects");
    this.tmpDir = join(dataDir, "tmp");
  }

  async init(): Promise<void> {
    await mkdir(this.objectsDir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
  }

  /** Path of one stored version; names are validated already, this guards again. */
  pathOf(bucket: string, key: string, version: string): string {
    const path = join(this.objectsDir, bucket, ...key.split("/"), version);
    const inside = relative(this.objectsDir, path);
    if (inside.startsWith("..") || inside.startsWith(sep)) throw errors.invalidKey(key);
    return path;
  }

  /**
   * Streams `source` to a temp file, hashing and counting as it goes. Over
   * `maxBytes` it stops and deletes the temp file. The source is never
   * destroyed here: the caller still has to answer on its connection.
   */
  async receive(source: Readable, maxBytes: number): Promise<ReceivedFile> {
    const tmpPath = join(this.tmpDir, randomUUID());
    const hash = createHash("md5");
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) return done(errors.entityTooLarge());
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const abort = (err?: Error) => meter.destroy(err ?? new Error("upload aborted"));
    const onClose = () => {
      if (!source.readableEnded) abort();
    };
    source.once("error", abort);
    source.once("close", onClose);
    source.pipe(meter);
    try {
      await pipeline(meter, createWriteStream(tmpPath, { flags: "wx" }));
    } catch (err) {
      source.unpipe(meter);
      await rm(tmpPath, { force: true });
      throw err;
    } finally {
      source.off("error", abort);
      source.off("close", onClose);
    }
    return { tmpPath, size, eTag: `"${hash.digest("hex")}"` };
  }

  async discard(tmpPath: string): Promise<void> {
    await rm(tmpPath, { force: true });
  }

  /** Moves a received temp file to its final place. */
  async place(tmpPath: string, destination: string): Promise<void> {
    await this.withParent(destination, () => rename(tmpPath, destination));
  }

  /** Makes `destination` a second name of `source` (move keeps the bytes where they are). */
  async alias(source: string, destination: string): Promise<void> {
    await this.withParent(destination, () => link(source, destination));
  }

  async duplicate(source: string, destination: string): Promise<void> {
    await this.withParent(destination, () => copyFile(source, destination));
  }

  /** Deletes one version and the folders it leaves empty. */
  async remove(path: string): Promise<void> {
    await unlink(path).catch(ignoreMissing);
    let dir = dirname(path);
    while (dir !== this.objectsDir && dirname(dir) !== this.objectsDir) {
      try {
        await rmdir(dir);
      } catch {
        return;
      }
      dir = dirname(dir);
    }
  }

  async removeBucket(bucket: string): Promise<void> {
    await rm(join(this.objectsDir, bucket), { recursive: true, force: true });
  }

  openRead(path: string, range?: { start: number; end: number }): Readable {
    return createReadStream(path, range);
  }

  // A concurrent remove may prune the folder between mkdir and the write.
  private async withParent(destination: string, write: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(destination), { recursive: true });
      try {
        return await write();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT" || attempt === 3) throw err;
      }
    }
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== "ENOENT") throw err;
}
