// One tar.gz of stored files, streamed: each object is read from Storage as it
// is written into the archive, gzip compresses as bytes pass, and the result
// is uploaded while it is made, so memory holds a few chunks whatever the total.
import { endOfArchive, entryHeader, padding } from "../_shared/tar.ts";
import type { ArchiveFile } from "./db.ts";

export interface ObjectSource {
  /** The object's bytes as a stream, with the size Storage reports. */
  open(bucket: string, path: string): Promise<{ size: number; body: ReadableStream<Uint8Array> }>;
}

export class SourceChanged extends Error {
  override name = "SourceChanged";
}

async function* tarEntries(source: ObjectSource, files: ArchiveFile[], mtimeS: number): AsyncGenerator<Uint8Array> {
  for (const file of files) {
    const { size, body } = await source.open(file.bucket, file.path);
    yield* entryHeader(`${file.job_id}/${file.filename}`, size, mtimeS);
    let sent = 0;
    for await (const chunk of body) {
      sent += chunk.byteLength;
      if (sent > size) throw new SourceChanged(`${file.bucket}/${file.path} is longer than the ${size} bytes Storage announced`);
      yield chunk;
    }
    if (sent !== size) throw new SourceChanged(`${file.bucket}/${file.path} ended after ${sent} of ${size} bytes`);
    yield padding(size);
  }
  yield endOfArchive();
}

/** The gzip-compressed tar of the files, entries named <job id>/<filename>; `bytes()` is the compressed size so far. */
export function tarGz(source: ObjectSource, files: ArchiveFile[], mtimeS: number): { stream: ReadableStream<Uint8Array>; bytes: () => number } {
  let compressed = 0;
  const counted = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      compressed += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  const stream = ReadableStream.from(tarEntries(source, files, mtimeS))
    .pipeThrough(new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>)
    .pipeThrough(counted);
  return { stream, bytes: () => compressed };
}
