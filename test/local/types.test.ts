// The generated-types check npm test runs: the committed file must be what
// `supabase gen types` prints for the migrations. (npm test itself checks the
// match against its fresh stack; here, that a stale or missing file is caught.)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateTypes, typesProblem } from "../../local/types.ts";
import { stack } from "../support/stack.ts";

const dir = mkdtempSync(join(tmpdir(), "pgpod-types-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("generated types", () => {
  it("come from the real CLI without Docker and type the pgpod schema", () => {
    const types = generateTypes(stack().SUPABASE_DB_URL);
    expect(types).toContain("export type Database");
    expect(types).toMatch(/"pgpod": \{/);
    // a trigger fills max_attempts, so an insert may leave it out
    expect(types).toMatch(/Insert: \{[^}]*"endpoint": string,[^}]*"max_attempts"\?: number/);
  }, 60_000);

  it("flag a file that the migrations no longer generate, and a missing one", () => {
    const stale = join(dir, "stale.types.ts");
    writeFileSync(stale, "export type Database = {}\n");
    expect(typesProblem(stack().SUPABASE_DB_URL, stale)).toBe(`${stale} does not match the migrations: run "npm run types" and commit the result`);
    const missing = join(dir, "missing.types.ts");
    expect(typesProblem(stack().SUPABASE_DB_URL, missing)).toBe(`${missing} is missing: run "npm run types" and commit it`);
  }, 60_000);
});
