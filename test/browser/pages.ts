// What the browser tests do on the app's pages, as a user would: fill forms,
// click buttons, read the job rows.
import type { Page } from "playwright-core";

export interface JobRow {
  id: string;
  status: string;
}

/** Signs up on the app's form; resolves once the signed-in view shows. */
export async function signUp(page: Page, email: string, password: string): Promise<void> {
  await page.locator("#auth-form input[name=email]").fill(email);
  await page.locator("#auth-form input[name=password]").fill(password);
  await page.locator("#auth-form button[value=sign-up]").click();
  await page.locator("#jobs-view").waitFor({ state: "visible" });
}

/** Submits through one of the app's forms and resolves with the new job's row id. */
export async function submit(page: Page, form: "#image-form" | "#sleep-form" | "#transcribe-form", fields: Record<string, string>): Promise<string> {
  const before = new Set((await jobRows(page)).map((r) => r.id));
  for (const [name, value] of Object.entries(fields)) await page.locator(`${form} input[name=${name}]`).fill(value);
  await page.locator(`${form} button[type=submit]`).click();
  const handle = await page.waitForFunction(
    (known) => [...document.querySelectorAll<HTMLElement>("#jobs tbody tr")].map((r) => r.dataset.jobId).find((id) => id && !known.includes(id)),
    [...before],
  );
  return (await handle.jsonValue()) as string;
}

/** Clicks "Download all" and resolves with the archive link it shows. */
export async function downloadAll(page: Page): Promise<{ href: string; text: string }> {
  const link = page.locator("#archive-link");
  await page.locator("#download-all").click();
  await link.waitFor({ state: "visible" });
  return { href: (await link.getAttribute("href")) ?? "", text: (await link.textContent()) ?? "" };
}

export function jobRows(page: Page): Promise<JobRow[]> {
  return page.$$eval("#jobs tbody tr", (rows) =>
    rows.map((r) => ({ id: (r as HTMLElement).dataset.jobId ?? "", status: (r as HTMLElement).dataset.status ?? "" })));
}

/** Waits until the job's row shows the status. */
export async function waitForStatus(page: Page, jobId: string, status: string, timeoutMs = 30_000): Promise<void> {
  await page.locator(`#jobs tr[data-job-id="${jobId}"][data-status="${status}"]`).waitFor({ timeout: timeoutMs });
}

/**
 * Records every job id any row ever showed, from the first paint on, so a test
 * can tell that a job never appeared, not only that it is gone now.
 */
export async function recordSeenJobs(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen = new Set<string>();
    (window as unknown as { seenJobIds: Set<string> }).seenJobIds = seen;
    new MutationObserver(() => {
      for (const row of document.querySelectorAll<HTMLElement>("tr[data-job-id]")) seen.add(row.dataset.jobId!);
    }).observe(document, { subtree: true, childList: true });
  });
}

export function seenJobs(page: Page): Promise<string[]> {
  return page.evaluate(() => [...(window as unknown as { seenJobIds: Set<string> }).seenJobIds]);
}
