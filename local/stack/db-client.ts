// postgres.js clients for the stack's long-running process that survive a
// Postgres restart. postgres.js (3.4.9 and every release before it) has a
// defect: when the server closes a connection while a transaction
// (`sql.begin`) or reserved connection has a query in flight, its own
// follow-up write (the ROLLBACK) is flushed from a setImmediate onto the
// already-closed socket and throws `TypeError: Cannot read properties of null
// (reading 'write')`. The throw cannot be caught by the caller, and the
// connection keeps the unsent bytes: every later query on it waits out
// connect_timeout. So the process's guard (services.ts) recognises the
// throw, and every client made here is replaced by a fresh one.
import postgres from "postgres";

const clients = new Set<{ renew(): void }>();

/**
 * A postgres.js client that behaves like `postgres(url, options)` and swaps
 * in a fresh client when `recoverFromDriverFault` sees the defect.
 */
export function recoveringSql(url: string, options: postgres.Options<Record<string, never>>): postgres.Sql {
  let current = postgres(url, options);
  const entry = {
    renew() {
      // New queries go to the fresh client; what runs on healthy connections
      // of the old one may finish for a few seconds before it is closed.
      const broken = current;
      current = postgres(url, options);
      void broken.end({ timeout: 5 }).catch(() => undefined);
    },
  };
  clients.add(entry);
  const end = (opts?: { timeout?: number }) => {
    clients.delete(entry);
    return current.end(opts);
  };
  return new Proxy((() => undefined) as unknown as postgres.Sql, {
    apply: (_target, _this, args) => Reflect.apply(current as unknown as (...a: unknown[]) => unknown, undefined, args),
    get: (_target, key) => {
      if (key === "end") return end;
      const value = Reflect.get(current, key);
      return typeof value === "function" ? value.bind(current) : value;
    },
  });
}

/** True when an uncaught error is postgres.js writing to a connection the server closed. */
export function isDriverWriteAfterClose(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    /reading 'write'|evaluating 'socket\.write'/.test(error.message) &&
    /nextWrite[\s\S]*postgres\S*[\\/]connection\.c?js/.test(error.stack ?? "")
  );
}

/**
 * For an uncaught error: when it is the postgres.js defect, replaces every
 * client made by `recoveringSql` (the broken connection cannot be told apart)
 * and returns true; otherwise returns false and changes nothing.
 */
export function recoverFromDriverFault(error: unknown): boolean {
  if (!isDriverWriteAfterClose(error)) return false;
  for (const client of clients) client.renew();
  return true;
}
