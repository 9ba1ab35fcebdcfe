// The reference app and the ops page in Debian's Chromium against the local
// stack: the production build, served by Vite's preview server, driven by
// playwright-core as users would. Screenshots go to test-results/browser/.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveBuilt, type Served } from "../../app/server/serve.ts";
import { repoRoot } from "../../local/stack/config.ts";
import { freePort } from "../../local/stack/ports.ts";
import { createTestEndpoint, type TestEndpoint } from "../sql/endpoint-fixture.ts";
import { signedUpUser, uniqueEmail } from "../support/clients.ts";
import { db, stack } from "../support/stack.ts";
import { untar } from "../support/tar.ts";
import { waitFor } from "../support/wait.ts";
import { launchChromium } from "./chromium.ts";
import { downloadAll, jobRows, recordSeenJobs, seenJobs, signUp, submit, waitForStatus } from "./pages.ts";

const env = stack();
const sql = db(2);
const artifacts = join(repoRoot, "test-results", "browser");
let served: Served;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  [served, browser] = await Promise.all([serveBuilt(env, "127.0.0.1", await freePort()), launchChromium()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  await sql.end({ timeout: 5 });
});

/** A page in a context of its own (its own storage, so its own session), counting its navigations. */
async function userPage(): Promise<{ page: Page; navigations: () => number }> {
  const page = await (await browser.newContext({ viewport: { width: 1100, height: 640 } })).newPage();
  let navigations = 0;
  page.on("framenavigated", (frame) => frame === page.mainFrame() && navigations++);
  await recordSeenJobs(page);
  await page.goto(served.url);
  return { page, navigations: () => navigations };
}

describe("the reference app", () => {
  let users: Array<{ page: Page; navigations: () => number }>;
  /** Each user's succeeded image job, from the first test. */
  let imageJobs: string[] = [];

  beforeAll(async () => {
    users = await Promise.all([userPage(), userPage()]);
    await Promise.all(users.map(({ page }, i) => signUp(page, uniqueEmail(`browser-${i}`), `pw-${Math.random().toString(36).slice(2)}`)));
  }, 60_000);

  it("shows two users each their own image job reaching succeeded, live, with the image rendered", async () => {
    const ids = await Promise.all(users.map(({ page }, i) => submit(page, "#image-form", { prompt: `a lighthouse for user ${i}` })));
    expect(ids[0]).not.toBe(ids[1]);
    imageJobs = ids;
    await Promise.all(users.map(({ page }, i) => waitForStatus(page, ids[i], "succeeded")));
    for (const [i, { page }] of users.entries()) {
      const width = await page.waitForFunction((id) => {
        const image = document.querySelector<HTMLImageElement>(`tr[data-job-id="${id}"] img.thumbnail`);
        return image?.complete && image.naturalWidth > 0 ? image.naturalWidth : 0;
      }, ids[i]);
      expect(await width.jsonValue()).toBeGreaterThan(0);
      // The seed's image endpoint stores a WebP thumbnail, which the list shows instead of a Storage transformation.
      const src = await page.locator(`tr[data-job-id="${ids[i]}"] img.thumbnail`).getAttribute("src");
      expect(new URL(src!).pathname).toMatch(/^\/storage\/v1\/object\/sign\/.+_thumb\.webp$/);
    }
    await Promise.all(users.map(({ page }, i) => page.screenshot({ path: join(artifacts, `app-user-${i}.png`) })));
    for (const [i, user] of users.entries()) {
      expect(await seenJobs(user.page)).toEqual([ids[i]]);
      expect(await jobRows(user.page)).toEqual([{ id: ids[i], status: "succeeded" }]);
      expect(user.navigations()).toBe(1);
    }
  }, 90_000);

  it("downloads all of a user's finished jobs as one tar.gz of their own files, never the other's", async () => {
    expect(imageJobs).toHaveLength(2);
    const links = await Promise.all(users.map(({ page }) => downloadAll(page)));
    await users[0].page.screenshot({ path: join(artifacts, "app-archive.png") });
    for (const [i, link] of links.entries()) {
      // the PNG and its two stored variants
      expect(link.text).toMatch(/^Download the archive: 3 files of 1 job, \d+(\.\d)? (B|kB)$/);
      const bytes = Buffer.from(await (await fetch(link.href)).arrayBuffer());
      expect([...bytes.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
      const names = untar(gunzipSync(bytes)).map((entry) => entry.name);
      expect(names).toHaveLength(3);
      expect(names.filter((name) => new RegExp(`^${imageJobs[i]}/[^/]+\\.png$`).test(name))).toHaveLength(1);
      expect(names.filter((name) => new RegExp(`^${imageJobs[i]}/[^/]+_thumb\\.webp$`).test(name))).toHaveLength(1);
      expect(names.some((name) => name.startsWith(imageJobs[1 - i]))).toBe(false);
    }
  }, 60_000);

  it("uploads a recording to the user's inputs folder and shows its transcript", async () => {
    const { page } = users[1];
    // a WAV header and a few samples: the worker reads the file through the signed URL the dispatcher made
    const audio = Buffer.concat([Buffer.from("RIFF\x24\x00\x00\x00WAVEfmt ", "latin1"), Buffer.alloc(40)]);
    await page.locator("#transcribe-form input[name=audio]").setInputFiles({ name: "talk.wav", mimeType: "audio/wav", buffer: audio });
    const id = await submit(page, "#transcribe-form", {});
    await waitForStatus(page, id, "succeeded");
    expect(await page.locator(`tr[data-job-id="${id}"] .transcript`).textContent()).toMatch(new RegExp(`\\.wav \\(${audio.length} bytes\\)`));
    const [input] = await sql<{ path: string; owner: string }[]>`
      select input -> 'url' -> '$storage' ->> 'path' as path, owner_id::text as owner from pgpod.jobs where id = ${id}`;
    expect(input.path.startsWith(`${input.owner}/inputs/`)).toBe(true);
    expect(await seenJobs(users[0].page)).not.toContain(id);
  }, 90_000);

  it("cancels a long job, shows cancelled, and queues it again on retry", async () => {
    const { page } = users[0];
    const id = await submit(page, "#sleep-form", { seconds: "120" });
    // pgpod learns that RunPod started a job only when it ends, so a job in flight shows submitted
    await waitForStatus(page, id, "submitted");
    await page.locator(`tr[data-job-id="${id}"] button[data-action=cancel]`).click();
    await waitForStatus(page, id, "cancelled");
    await page.screenshot({ path: join(artifacts, "app-cancelled.png") });

    await page.locator(`tr[data-job-id="${id}"] button[data-action=retry]`).click();
    await page.locator(`tr[data-job-id="${id}"]:not([data-status=cancelled]) button[data-action=cancel]`).click();
    await waitForStatus(page, id, "cancelled");
    expect(await seenJobs(users[1].page)).not.toContain(id);
  }, 90_000);
});

describe("the ops page", () => {
  let endpoint: TestEndpoint;
  afterAll(() => endpoint?.drop());

  it("shows the counts, waits, failures and charts of a small burst", async () => {
    endpoint = await createTestEndpoint(sql, "browser_ops", { runpod: { apiBase: `${env.RUNPOD_EMULATOR_URL}/v2`, endpointId: "image" } });
    await sql`update pgpod.endpoints set max_attempts = 1 where name = ${endpoint.name}`;
    const user = await signedUpUser("browser-ops");
    const good = Array.from({ length: 5 }, (_, n) => ({ endpoint: endpoint.name, input: { prompt: `burst ${n}` } }));
    // the image worker refuses an image of no pixels, so these fail on RunPod
    const bad = Array.from({ length: 2 }, () => ({ endpoint: endpoint.name, input: { prompt: "nothing", width: 0 } }));
    const { data, error } = await user.client.schema("pgpod").from("jobs").insert([...good, ...bad]).select("id");
    expect(error).toBeNull();
    const failedIds = (data as Array<{ id: string }>).slice(good.length).map((j) => j.id);
    await waitFor("the burst to finish", async () => {
      const [{ open }] = await sql`select count(*)::int as open from pgpod.jobs where endpoint = ${endpoint.name} and finished_at is null`;
      return open === 0;
    }, 60_000, 250);

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${served.url}ops.html`);
    const row = page.locator(`#endpoint-stats tr[data-key="${endpoint.name}"]`);
    const cell = (col: string) => row.locator(`td[data-col=${col}]`);
    await expect.poll(() => cell("succeeded_24h").textContent(), { timeout: 15_000 }).toBe("5");
    expect(await cell("failed_24h").textContent()).toBe("2");
    expect(await cell("queued").textContent()).toBe("0");
    expect(await cell("in_flight").textContent()).toBe("0");
    expect(Number(await cell("execution_p50_s").textContent())).toBeGreaterThanOrEqual(0);
    expect(await page.locator(`#queue-health tr[data-key="${endpoint.name}"] td[data-col=runs_overdue]`).textContent()).toBe("0");
    const failures = await page.$$eval("#recent-failures tbody tr", (rows) => rows.map((r) => (r as HTMLElement).dataset.key));
    expect(failures).toEqual(expect.arrayContaining(failedIds));
    expect(await page.locator(`#recent-failures tr[data-key="${failedIds[0]}"] td[data-col=error]`).textContent()).toMatch(/pixels/);
    expect(await page.locator(".chart canvas").count()).toBe(2);
    await page.screenshot({ path: join(artifacts, "ops.png"), fullPage: true });
  }, 90_000);
});
