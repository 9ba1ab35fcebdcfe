import type { EmulatorSettings, FaultSettings } from "./config.ts";
import type { Counters } from "./counters.ts";
import type { Dice } from "./dice.ts";
import { webhookBody, type Job } from "./jobs.ts";
import type { Timers } from "./timers.ts";

export interface WebhookTarget {
  endpointId: string;
  faults: () => FaultSettings;
  counters: Counters;
}

type AttemptResult = "delivered" | "failed" | "slow";

/**
 * Sends the cloud's webhook for finished jobs: POST of the job body, success
 * on 2xx, otherwise up to attempts-1 retries retryDelayMs apart, with the
 * delivery faults applied on the way.
 */
export class WebhookDispatcher {
  private readonly inFlight = new Set<AbortController>();
  /** Per endpoint, a delivery held back by the reorder fault until the next one has gone out. */
  private readonly heldBack = new Map<string, { release: () => void; cancelFlush: () => void }>();
  private closed = false;

  constructor(
    private readonly settings: () => EmulatorSettings["webhook"],
    private readonly dice: Dice,
    private readonly timers: Timers,
    private readonly log: (line: string) => void,
  ) {}

  /** Whether a job in this state gets a webhook at all. */
  wants(job: Job): boolean {
    if (!job.webhook) return false;
    return job.status === "COMPLETED" || job.status === "FAILED" || this.settings().onCancelledAndTimedOut;
  }

  send(target: WebhookTarget, job: Job): void {
    const url = job.webhook!;
    const payload = JSON.stringify(webhookBody(job));
    const faults = target.faults();
    const label = `${target.endpointId} ${job.id} ${job.status}`;
    if (this.dice.chance(faults.webhookDropRate)) {
      target.counters.faultWebhookDropped++;
      this.log(`webhook ${label} -> ${redact(url)} dropped (fault)`);
      return;
    }
    const copies = this.dice.chance(faults.webhookDuplicateRate) ? 2 : 1;
    if (copies === 2) target.counters.faultWebhookDuplicated++;
    const run = async () => {
      if (faults.webhookDelayMs > 0) {
        target.counters.faultWebhookDelayed++;
        await this.timers.wait(faults.webhookDelayMs);
      }
      for (let copy = 0; copy < copies; copy++) await this.deliver(target, url, payload, label, faults.webhookRepeatWhileSlow);
    };

    const held = this.heldBack.get(target.endpointId);
    if (!held && this.dice.chance(faults.webhookReorderRate)) {
      target.counters.faultWebhookReordered++;
      const release = () => {
        this.heldBack.delete(target.endpointId);
        cancelFlush();
        void run();
      };
      const cancelFlush = this.timers.after(faults.webhookReorderHoldMs, release);
      this.heldBack.set(target.endpointId, { release, cancelFlush });
      return;
    }
    void run().then(() => held?.release());
  }

  close(): void {
    this.closed = true;
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
  }

  private async deliver(target: WebhookTarget, url: string, payload: string, label: string, repeatWhileSlow: boolean): Promise<void> {
    const { attempts, retryDelayMs, slowRepeatLimit } = this.settings();
    let failures = 0;
    let slowRepeats = 0;
    let answeredLate = false;
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt(target, url, payload, `${label} attempt ${attempt}`, repeatWhileSlow, () => (answeredLate = true));
      // An attempt cut short by close(), or made after it once a delay fault's wait ended, schedules no retry.
      if (result === "delivered" || this.closed) return;
      // A slow attempt left open does not use up the retry budget, up to slowRepeatLimit copies.
      const repeatingSlow = result === "slow" && slowRepeats < slowRepeatLimit;
      if (repeatingSlow) slowRepeats++;
      else if (++failures >= attempts) {
        target.counters.webhookGaveUp++;
        this.log(`webhook ${label} -> ${redact(url)} gave up after ${attempt} attempts`);
        return;
      }
      await this.timers.wait(retryDelayMs);
      if (this.closed || answeredLate) return;
      if (repeatingSlow) target.counters.faultWebhookSlowRepeats++;
    }
  }

  /**
   * One POST. On timeout the request is aborted, unless keepSlowOpen: then it
   * stays open (the receiver keeps working on it) and a 2xx that arrives later
   * calls onLateSuccess.
   */
  private attempt(
    target: WebhookTarget,
    url: string,
    payload: string,
    label: string,
    keepSlowOpen: boolean,
    onLateSuccess: () => void,
  ): Promise<AttemptResult> {
    if (this.closed) return Promise.resolve("failed");
    const { timeoutMs } = this.settings();
    const controller = new AbortController();
    this.inFlight.add(controller);
    target.counters.webhookAttempts++;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: AttemptResult, detail: string) => {
        if (settled) return;
        settled = true;
        if (result !== "delivered") target.counters.webhookFailedAttempts++;
        this.log(`webhook ${label} -> ${redact(url)} ${detail}`);
        resolve(result);
      };
      const cancelTimeout = this.timers.after(timeoutMs, () => {
        if (keepSlowOpen) return settle("slow", `no answer within ${timeoutMs} ms, left open`);
        controller.abort();
        settle("failed", `timed out after ${timeoutMs} ms`);
      });
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "runpod-emulator" },
        body: payload,
        signal: controller.signal,
      })
        .then(async (res) => {
          await res.arrayBuffer().catch(() => undefined);
          const ok = res.status >= 200 && res.status < 300;
          if (ok) target.counters.webhookDelivered++;
          if (!settled) return settle(ok ? "delivered" : "failed", `${res.status}`);
          this.log(`webhook ${label} -> ${redact(url)} late answer ${res.status}`);
          if (ok) onLateSuccess();
        })
        .catch((err: unknown) => settle("failed", `error: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => {
          cancelTimeout();
          this.inFlight.delete(controller);
        });
    });
  }
}

/** Webhook URLs usually carry a token in the query string; keep it out of logs. */
function redact(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : `${url.slice(0, query)}?…`;
}
