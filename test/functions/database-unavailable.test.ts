// Which database errors the webhook answers with 503 (RunPod retries) rather
// than 500: the database could not answer now, not a fault in the request.
import { describe, expect, it } from "vitest";
import postgres from "postgres";
import { isDatabaseUnavailable } from "../../supabase/functions/_shared/db.ts";

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe("isDatabaseUnavailable", () => {
  it("is true for a server nobody answers on", async () => {
    const sql = postgres("postgresql://postgres:postgres@127.0.0.1:1/postgres", { connect_timeout: 5, onnotice: () => {} });
    const error = await sql`select 1`.catch((e: unknown) => e);
    await sql.end();
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it("is true for lost connections, restarts, exhaustion, cancels and lock conflicts", () => {
    for (const code of ["CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECT_TIMEOUT", "ECONNRESET", "08006", "53300", "57P01", "57P03", "57014", "40001", "40P01"]) {
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(true);
    }
  });

  it("is false for refused data, programming errors and errors without a code", () => {
    for (const code of ["22003", "22P02", "54001", "42883", "23505", "P0001"]) {
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(false);
    }
    expect(isDatabaseUnavailable(new Error("boom"))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});
