// pgpod-dispatch: called by pg_cron and by insert kicks (through pg_net). It
// claims queued work, submits it to RunPod /run, records every outcome in one
// SQL call each, then polls overdue runs and forwards cancellations, recording
// what RunPod says of all of them in one complete_runs call. It never waits
// for a GPU job and stops starting new work when its budget is spent.
import type { DispatchConfig } from "../_shared/config.ts";
import { recordDeliveries, storedDelivery } from "../_shared/completion.ts";
import type { ClaimedRun, Delivery, ReconcileRow, Release, Submission } from "../_shared/db.ts";
import { type SharedDeps, sharedDeps } from "../_shared/deps.ts";
import { InputError, OutputError } from "../_shared/errors.ts";
import { withSignedInputs } from "../_shared/input-files.ts";
import { json, mapLimited, readText } from "../_shared/http.ts";
import { describeFailure, type RunpodClient, runpodClient, type RunpodEndpoint } from "../_shared/runpod.ts";
import { dispatchRequestSchema, runpodResultSchema } from "../_shared/schemas.ts";
import { dispatchTokens } from "../_shared/tokens.ts";

export interface DispatchDeps extends SharedDeps {
  runpod: RunpodClient;
}

export function dispatchDeps(config: DispatchConfig): DispatchDeps {
  return {
    ...sharedDeps(config, "pgpod-dispatch"),
    runpod: runpodClient({ apiKey: config.runpodApiKey, timeoutMs: config.limits.runpodTimeoutMs }),
  };
}

export interface DispatchSummary {
  claimed: number;
  submitted: number;
  released: number;
  failed: number;
  reconciled: number;
  cancelled: number;
  /** Expired archives deleted from Storage (cron calls only). */
  archives_removed?: number;
  /** Why things did not go through, for operators reading net._http_response. */
  errors: string[];
}

/** Name of the single file a direct-upload worker writes into its job's folder. */
export const directUploadFilename = "output";

const maxReportedErrors = 20;
/** What RunPod applies when a run sets no executionTimeout. */
const defaultExecutionTimeoutMs = 600_000;
/** How often a lingering dispatcher looks for work again. */
const lingerPollMs = 250;
/** The part of the budget for claiming; the rest is for reconciling. */
const claimShareOfBudget = 0.6;

type SubmitOutcome = { submission: Submission } | { release: Release };

/** What reconciling one overdue run records, and what it counts as in the summary. */
interface Reconciled {
  delivery: Delivery;
  counts: "cancelled" | "reconciled";
  /** A polled result counts only when it applied; a forwarded cancel or a lost job always does. */
  onlyIfApplied: boolean;
}

const endpointOf = (row: { api_base: string; runpod_endpoint_id: string }): RunpodEndpoint => ({
  apiBase: row.api_base,
  runpodEndpointId: row.runpod_endpoint_id,
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function dispatchHandler(config: DispatchConfig, deps: DispatchDeps = dispatchDeps(config)) {
  const { db, runpod, storage, tokens } = deps;
  const limits = config.limits;
  const callTokens = dispatchTokens(config.dispatchSecret);

  /** Gives each job of a direct-upload run a signed URL for its own folder. */
  async function withUploadUrls(run: ClaimedRun): Promise<unknown> {
    const uploads = new Map<string, unknown>();
    for (const job of run.jobs) {
      // One folder per run: a worker left over from an earlier attempt still
      // holds its own signed URL, and must not overwrite the finished file.
      const storagePath = `${job.storage_prefix}/run-${run.run_id}/${directUploadFilename}`;
      const signed = await storage.signedUploadUrl(run.output_bucket, storagePath);
      uploads.set(job.job_id, { url: signed.url, storage_path: storagePath, filename: directUploadFilename, upsert: true });
    }
    const addUpload = (jobId: string, input: unknown) => ({ ...(isRecord(input) ? input : {}), upload: uploads.get(jobId) });
    if (!run.grouped) return addUpload(run.jobs[0].job_id, run.input);
    const grouped = run.input as { jobs: Array<{ job_id: string; input: unknown }> };
    return { ...grouped, jobs: grouped.jobs.map((item) => ({ ...item, input: addUpload(item.job_id, item.input) })) };
  }

  /**
   * Submits one run. `refusedBy` holds the endpoints RunPod refused earlier in
   * this round: their other runs go back to the queue unsent, so one endpoint
   * that is down or rate limited never holds the round's lanes.
   */
  async function submit(run: ClaimedRun, refusedBy: Map<string, string>): Promise<SubmitOutcome> {
    const base = { run_id: run.run_id, attempt: run.attempt };
    const refusal = refusedBy.get(run.endpoint_name);
    if (refusal !== undefined) return { release: { ...base, kind: "not_sent", reason: `not sent: ${refusal}` } };
    let input: unknown;
    try {
      if (run.direct_upload) await storage.ensureBucket(run.output_bucket, false);
      input = run.direct_upload ? await withUploadUrls(run) : run.input;
      // Valid while the job may run; RunPod's default execution timeout is 10 minutes.
      input = await withSignedInputs(storage, input, Math.ceil((run.execution_timeout_ms ?? defaultExecutionTimeoutMs) / 1000));
    } catch (error) {
      // An input Storage refuses to sign fails the job; anything else is tried again.
      const kind = error instanceof InputError || error instanceof OutputError ? "rejected" : "failed";
      return { release: { ...base, kind, reason: `pgpod: ${(error as Error).message}` } };
    }
    const sig = await tokens.sign(run.run_id, run.attempt);
    const webhook = `${config.functionsUrl}/pgpod-webhook?run=${run.run_id}&attempt=${run.attempt}&sig=${sig}`;
    const policy = {
      ...(run.execution_timeout_ms === null ? {} : { executionTimeout: run.execution_timeout_ms }),
      ...(run.ttl_ms === null ? {} : { ttl: run.ttl_ms }),
      lowPriority: run.low_priority,
    };
    const reply = await runpod.run(endpointOf(run), { input, webhook, policy });
    if (reply.kind === "ok") return { submission: { ...base, runpod_job_id: reply.body.id } };
    const reason = describeFailure(reply);
    if (reply.kind === "rejected" || reply.kind === "not_found") return { release: { ...base, kind: "rejected", reason } };
    // A timed-out /run may still have created a job; its webhook carries this
    // run's token and is recognised in SQL as a delivery for a released run.
    refusedBy.set(run.endpoint_name, reason);
    if (reply.kind === "rate_limited") {
      const retryAfter = reply.retryAfterS === null ? {} : { retry_after_s: Math.ceil(reply.retryAfterS) };
      return { release: { ...base, kind: "rate_limited", reason, ...retryAfter } };
    }
    return { release: { ...base, kind: "unavailable", reason } };
  }

  /**
   * Polls one overdue run, or forwards its cancellation, and returns what
   * RunPod says as a delivery (its files stored), or null when there is
   * nothing to record.
   */
  async function reconcile(row: ReconcileRow): Promise<Reconciled | null> {
    const endpoint = endpointOf(row);
    const delivery = (result: Record<string, unknown>): Delivery => ({ runId: row.run_id, attempt: row.attempt, result, files: [] });
    if (row.action === "cancel") {
      const cancelled = await runpod.cancel(endpoint, row.runpod_job_id);
      if (cancelled.kind === "ok" && cancelled.body.status === "CANCELLED") {
        return { delivery: delivery({ id: cancelled.body.id, status: "CANCELLED" }), counts: "cancelled", onlyIfApplied: false };
      }
      // Already finished (or gone): the poll below records the real result.
      if (cancelled.kind !== "ok" && cancelled.kind !== "not_found") {
        throw new Error(`cancel of run ${row.run_id}: ${describeFailure(cancelled)}`);
      }
    }
    const reply = await runpod.status(endpoint, row.runpod_job_id);
    if (reply.kind === "not_found") {
      // Past retention, removed by its TTL or lost by RunPod: the attempt failed.
      const error = `pgpod: RunPod has no record of job ${row.runpod_job_id} (/status answered 404)`;
      return { delivery: delivery({ id: row.runpod_job_id, status: "FAILED", error }), counts: "reconciled", onlyIfApplied: false };
    }
    if (reply.kind !== "ok") throw new Error(`status of run ${row.run_id}: ${describeFailure(reply)}`);
    const result = runpodResultSchema.parse(reply.body);
    const ctx = await db.runContext(row.run_id, row.attempt, result.id);
    if (!ctx) return null;
    return { delivery: await storedDelivery(deps, ctx, result), counts: "reconciled", onlyIfApplied: true };
  }

  /** Reconciles the overdue runs RunPod answers for before the deadline, all recorded in one complete_runs call. */
  async function reconcileOverdue(note: (message: string) => void, summary: DispatchSummary, deadline: number) {
    const due = await db.runsToReconcile(limits.reconcileBatch);
    const found = await mapLimited(due, limits.parallelism, async (row) => {
      if (Date.now() >= deadline) return null;
      try {
        return await reconcile(row);
      } catch (error) {
        note(`reconcile run ${row.run_id}: ${(error as Error).message}`);
        return null;
      }
    });
    const reconciled = found.filter((r): r is Reconciled => r !== null);
    const outcomes = await recordDeliveries(db, reconciled.map((r) => r.delivery));
    outcomes.forEach((outcome, i) => {
      const { delivery, counts, onlyIfApplied } = reconciled[i];
      if (outcome.status === "rejected") note(`reconcile run ${delivery.runId}: ${(outcome.reason as Error).message}`);
      else if (outcome.value.applied || !onlyIfApplied) summary[counts]++;
    });
  }

  /** Deletes the objects of expired archives, then their rows; an object already gone counts as removed. */
  async function removeExpiredArchives(): Promise<number> {
    const expired = await db.expiredArchives(limits.reconcileBatch);
    const removed = await mapLimited(expired, limits.parallelism, async (archive) => {
      if (await storage.info(archive.bucket, archive.path)) await storage.remove(archive.bucket, archive.path);
      return archive.id;
    });
    if (removed.length > 0) await db.forgetArchives(removed);
    return removed.length;
  }

  return async (req: Request): Promise<Response> => {
    const started = Date.now();
    const deadline = started + limits.dispatchBudgetMs;
    // Claiming stops early enough to leave the rest of the budget for polling
    // overdue runs and forwarding cancels, even under steady work.
    const claimUntil = started + limits.dispatchBudgetMs * claimShareOfBudget;
    if (req.method !== "POST") return json(405, { error: "use POST" });
    const presented = /^Bearer\s+(.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1] ?? "";
    if (!(await callTokens.verify(presented))) {
      await req.body?.cancel();
      return json(401, { error: "missing, wrong or expired dispatch token" });
    }
    let request: unknown = {};
    try {
      const text = await readText(req, 64 * 1024);
      if (text.trim() !== "") request = JSON.parse(text);
    } catch {
      return json(400, { error: "body must be JSON" });
    }
    const parsed = dispatchRequestSchema.safeParse(request);
    if (!parsed.success) return json(400, { error: "invalid body", issues: parsed.error.issues.map((i) => i.message) });

    const summary: DispatchSummary = { claimed: 0, submitted: 0, released: 0, failed: 0, reconciled: 0, cancelled: 0, errors: [] };
    const note = (message: string) => {
      if (summary.errors.length < maxReportedErrors) summary.errors.push(message);
    };

    /** Claims what every endpoint with work allows, submits it and records the outcomes: one round. */
    async function dispatchRound(): Promise<number> {
      const claimed: ClaimedRun[] = [];
      for (const endpoint of await db.dispatchableEndpoints()) {
        if (Date.now() >= claimUntil) break;
        try {
          claimed.push(...await db.claimRuns(endpoint, limits.maxRunsPerEndpoint));
        } catch (error) {
          // One endpoint's broken claim is its own problem; the others go on.
          const problem = `claim for ${endpoint}: ${(error as Error).message}`;
          note(problem);
          await db.noteEndpointProblem(endpoint, `pgpod: ${problem}`).catch(() => {});
        }
      }
      summary.claimed += claimed.length;

      const refusedBy = new Map<string, string>();
      const outcomes = await mapLimited(claimed, limits.parallelism, (run) => submit(run, refusedBy));
      const submissions = outcomes.flatMap((o) => "submission" in o ? [o.submission] : []);
      const releases = outcomes.flatMap((o) => "release" in o ? [o.release] : []);
      for (const r of releases) if (r.kind !== "not_sent") note(`run ${r.run_id}: ${r.reason}`);
      summary.failed += releases.filter((r) => r.kind === "rejected").length;
      if (submissions.length > 0) {
        const marked = await db.markSubmitted(submissions);
        summary.submitted += marked.submitted;
        // Runs requeued while their /run was in flight: the RunPod job is not wanted.
        const byRun = new Map(claimed.map((run) => [run.run_id, run]));
        await mapLimited(marked.stale, limits.parallelism, async (stale) => {
          const run = byRun.get(stale.run_id);
          if (run) await runpod.cancel(endpointOf(run), stale.runpod_job_id);
        });
      }
      if (releases.length > 0) summary.released += (await db.releaseRuns(releases)).released;
      return claimed.length;
    }

    try {
      // Round after round while there is work; a kick's dispatcher also waits
      // out its debounce window for inserts that were not allowed a kick.
      const lingerUntil = started + (parsed.data.linger_ms === undefined ? 0 : parsed.data.linger_ms + lingerPollMs);
      while (Date.now() < claimUntil) {
        if (await dispatchRound() > 0) continue;
        const wait = Math.min(lingerUntil, claimUntil) - Date.now();
        if (wait <= 0) break;
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, lingerPollMs)));
      }

      if (Date.now() < deadline) await reconcileOverdue(note, summary, deadline);
      // pg_cron's calls also remove the archives pgpod.prune expired.
      if (parsed.data.reason === "cron" && Date.now() < deadline) {
        summary.archives_removed = await removeExpiredArchives().catch((error) => {
          note(`removing expired archives: ${(error as Error).message}`);
          return 0;
        });
      }
    } catch (error) {
      console.error(`pgpod-dispatch failed: ${(error as Error).message}`);
      return json(500, { ...summary, errors: [...summary.errors, (error as Error).message] });
    }
    return json(200, summary);
  };
}
