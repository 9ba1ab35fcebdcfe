// list() pages by keyset (created_at, id), newest first; the cursor names
// the last job of a page.
import { isTimestamp } from "./order.ts";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(job: { created_at: string; id: string }): string {
  return `${job.created_at}|${job.id}`;
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt = "", id = "", extra] = cursor.split("|");
  if (extra !== undefined || !isTimestamp(createdAt) || !uuid.test(id)) {
    throw new TypeError(`pgpod: ${JSON.stringify(cursor)} is not a cursor from list()`);
  }
  return { createdAt, id };
}
