// A throwaway pgpod endpoint for one test file, removed with everything it made.
import type { Sql } from "postgres";

export interface TestEndpoint {
  name: string;
  queue: string;
  drop(): Promise<void>;
}

export async function createTestEndpoint(
  sql: Sql,
  prefix: string,
  settings: { batch_size?: number; max_in_flight?: number; runpod?: { apiBase: string; endpointId: string } } = {},
): Promise<TestEndpoint> {
  const name = `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  // Without `runpod`, api_base points nowhere: a dispatcher that happens to run releases, never submits.
  await sql`
    insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, batch_size, max_in_flight)
    values (${name}, ${settings.runpod?.endpointId ?? "test"}, ${settings.runpod?.apiBase ?? "http://127.0.0.1:9/v2"},
            ${settings.batch_size ?? 1}, ${settings.max_in_flight ?? null})`;
  return {
    name,
    queue: `pgpod_${name}`,
    async drop() {
      await sql`update pgpod.endpoints set paused = true where name = ${name}`;
      await sql.begin(async (tx) => {
        // pgpod locks runs before jobs; a cleanup that did the reverse could
        // deadlock with a dispatcher still finishing this endpoint's runs.
        await tx`select id from pgpod.runs where endpoint = ${name} order by id for update`;
        await tx`delete from pgpod.jobs where endpoint = ${name}`;
        await tx`delete from pgpod.runs where endpoint = ${name}`;
        await tx`delete from pgpod.endpoints where name = ${name}`;
      });
    },
  };
}
