// The live table of the user's jobs: one row per job, rewritten whenever the
// job changes, newest first; timings of unfinished jobs tick every second.
import { element, h, showMessage } from "./dom.ts";
import { duration, errorSummary } from "./format.ts";
import { canRetry, hasStoredFiles, isTerminal, type AppJob, type JobsApi } from "./jobs.ts";

interface Entry {
  job: AppJob;
  row: HTMLTableRowElement;
  /** The image or the transcript. */
  result: HTMLTableCellElement;
  imageRequested: boolean;
}

export class JobList {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly table: HTMLTableElement,
    private readonly empty: HTMLElement,
    private readonly api: JobsApi,
    private readonly viewer: HTMLDialogElement,
  ) {
    setInterval(() => this.tick(), 1000);
  }

  update(job: AppJob): void {
    let entry = this.entries.get(job.id);
    if (!entry) {
      entry = { job, row: h("tr", { "data-job-id": job.id }), result: h("td", { class: "result" }), imageRequested: false };
      this.entries.set(job.id, entry);
      this.insertInOrder(entry);
    }
    entry.job = job;
    this.render(entry);
    if (job.status !== "succeeded") return;
    if (job.endpoint === "transcribe" && job.output) entry.result.replaceChildren(h("q", { class: "transcript" }, job.output.text));
    else if (!entry.imageRequested) void this.showImage(entry);
  }

  /** The succeeded jobs that stored files, newest first: what "Download all" archives. */
  withFiles(): string[] {
    return [...this.entries.values()]
      .filter(({ job }) => hasStoredFiles(job))
      .sort((a, b) => (a.job.created_at < b.job.created_at ? 1 : -1))
      .map(({ job }) => job.id);
  }

  clear(): void {
    this.entries.clear();
    element("tbody", this.table).replaceChildren();
    this.refreshEmpty();
  }

  private insertInOrder(entry: Entry): void {
    const body = element<HTMLTableSectionElement>("tbody", this.table);
    const older = [...body.rows].find((row) => (this.entries.get(row.dataset.jobId ?? "")?.job.created_at ?? "") < entry.job.created_at);
    body.insertBefore(entry.row, older ?? null);
    this.refreshEmpty();
  }

  private refreshEmpty(): void {
    this.table.hidden = this.entries.size === 0;
    this.empty.hidden = this.entries.size > 0;
  }

  private render({ job, row, result }: Entry): void {
    row.dataset.status = job.status;
    const actions = h("td", { class: "actions" });
    if (!isTerminal(job)) actions.append(this.button("Cancel", "cancel", () => this.api.cancel(job)));
    if (canRetry(job)) actions.append(this.button("Retry", "retry", () => this.api.retry(job)));
    row.replaceChildren(
      result,
      h("td", { class: "job" }, h("span", { class: "endpoint" }, job.endpoint), h("code", {}, job.id.slice(0, 8))),
      h("td", {}, h("span", { class: `status status-${job.status}`, "data-field": "status" }, job.status)),
      h("td", { "data-field": "waited" }, waited(job)),
      h("td", { "data-field": "ran" }, ran(job)),
      h("td", { class: "error", "data-field": "error", title: job.error ?? "" }, errorSummary(job.error)),
      actions,
    );
  }

  private button(text: string, action: string, run: () => Promise<unknown>): HTMLButtonElement {
    const button = h("button", { type: "button", "data-action": action }, text);
    button.addEventListener("click", () => {
      button.disabled = true;
      run().catch((error: Error) => {
        button.disabled = false;
        showMessage(`${text} failed: ${error.message}`, "error");
      });
    });
    return button;
  }

  private async showImage(entry: Entry): Promise<void> {
    entry.imageRequested = true;
    try {
      const urls = await this.api.imageUrls(entry.job);
      if (!urls) return;
      const thumbnail = h("img", { class: "thumbnail", src: urls.thumbnail, alt: `output of job ${entry.job.id}` });
      thumbnail.addEventListener("click", () => {
        element<HTMLImageElement>("img", this.viewer).src = urls.full;
        this.viewer.showModal();
      });
      entry.result.replaceChildren(thumbnail, h("a", { href: urls.full, target: "_blank", rel: "noopener" }, "full size"));
    } catch (error) {
      entry.imageRequested = false;
      showMessage(`Could not sign the image's URL: ${(error as Error).message}`, "error");
    }
  }

  private tick(): void {
    for (const { job, row } of this.entries.values()) {
      if (isTerminal(job)) continue;
      element("[data-field=waited]", row).textContent = waited(job);
      element("[data-field=ran]", row).textContent = ran(job);
    }
  }
}

/** From insert to the hand-over to RunPod (or to the end, for a job that never got there). */
const waited = (job: AppJob) => duration(job.created_at, job.submitted_at ?? job.finished_at);
/** On RunPod: in its queue and on a worker, until the job ended. */
const ran = (job: AppJob) => duration(job.submitted_at, job.finished_at);
