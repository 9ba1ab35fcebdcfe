// One broken endpoint never stops the others: a missing pgmq queue, an
// api_base nothing answers on and RunPod refusing one endpoint's /run are each
// recorded for that endpoint, while the healthy endpoint's jobs succeed in the
// same dispatcher calls.
import { beforeAll, describe, expect, it } from "vitest";
import type { RunpodEmulator } from "../../local/runpod/server.ts";
import { createEndpoint, dispatch, job, scriptedWorker, settle, sql, startEmulator, submit, uniqueName, waitFor, worker } from "./harness.ts";

let emulator: RunpodEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ healthy: worker(scriptedWorker), down: worker(scriptedWorker) });
  emulator.setFaults("down", { runErrorRate: 1, runErrorStatus: 503 });
});

interface Health {
  endpoint: string;
  queue_length: number | null;
  dispatch_after: Date | null;
  submit_refusals: number;
  problem: string | null;
}

async function health(name: string): Promise<Health> {
  const [row] = await sql<Health[]>`
    select endpoint, queue_length::int, dispatch_after, submit_refusals, problem from pgpod.queue_health where endpoint = ${name}`;
  return row;
}

describe("endpoint isolation", () => {
  it("dispatches the healthy endpoint while the others are broken, and says what is wrong with each", async () => {
    const healthy = await createEndpoint(uniqueName("ok"), { runpodEndpointId: "healthy", emulator });
    const noQueue = await createEndpoint(uniqueName("noq"), { runpodEndpointId: "healthy", emulator });
    const badBase = await createEndpoint(uniqueName("base"), { runpodEndpointId: "healthy", emulator });
    const down = await createEndpoint(uniqueName("down"), { runpodEndpointId: "down", emulator });
    await sql`update pgpod.endpoints set api_base = 'http://127.0.0.1:9/v2' where name = ${badBase.name}`;

    const stuck = [await submit(noQueue.name, { output: { n: 0 } })];
    await sql`select pgmq.drop_queue(${`pgpod_${noQueue.name}`})`;
    for (const ep of [badBase, down]) stuck.push(await submit(ep.name, { output: { n: 0 } }));
    const good = await Promise.all([1, 2, 3].map((n) => submit(healthy.name, { output: { n } })));

    // Kicked dispatchers may get there first; every call must still answer 200 (dispatch throws otherwise).
    await dispatch();
    for (const { id } of good) expect((await settle(id)).status).toBe("succeeded");
    await waitFor("both refusals recorded", async () =>
      (await Promise.all([badBase, down].map((ep) => health(ep.name)))).every((h) => h.problem !== null));

    expect(await health(noQueue.name)).toMatchObject({ queue_length: null, problem: `pgpod: the queue pgpod_${noQueue.name} is missing` });
    const [{ recorded }] = await sql`select problem as recorded from pgpod.endpoint_health where endpoint = ${noQueue.name}`;
    expect(recorded).toMatch(/^pgpod: the queue .* is missing; recreate it with select pgmq\.create/);
    for (const [ep, problem] of [[badBase, /^network error: /], [down, /^RunPod answered 503/]] as const) {
      const h = await health(ep.name);
      expect(h.problem).toMatch(problem);
      expect(h.submit_refusals).toBeGreaterThanOrEqual(1);
      // queue_health shows dispatch_after only while it lies ahead; the first backoff is a second or two.
      const [{ until }] = await sql`select dispatch_after as until from pgpod.endpoint_health where endpoint = ${ep.name}`;
      expect(until).toBeInstanceOf(Date);
    }
    // Refused submissions are not attempts: the broken endpoints' jobs wait in the queue.
    for (const { id } of stuck.slice(1)) expect(await job(id)).toMatchObject({ status: "queued", attempt: 0 });
    expect((await health(healthy.name)).problem).toBeNull();
    // Leave the shared database with a queue for every endpoint.
    await sql`select pgmq.create(${`pgpod_${noQueue.name}`})`;
  });
});
