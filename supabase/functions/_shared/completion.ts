// The one path from a RunPod result to pgpod.complete_runs, used by the
// webhook and by the dispatcher's reconciler alike: store the output files at
// deterministic paths, replace their bytes by references, then record the
// whole result, with others, in one SQL call. Storage trouble throws
// TransientError before anything is recorded, so the caller can answer 5xx and
// try again later.
import type { Downloader } from "./download.ts";
import { sha256Hex } from "./digest.ts";
import { OutputError } from "./errors.ts";
import { mapLimited } from "./http.ts";
import { detectedContentType, isActiveContentType, storableContentType } from "./content-type.ts";
import { type Allocate, type FileRef, freshBytes, normaliseContentType, type OutputFile, splitOutput, withoutFileBytes } from "./outputs.ts";
import type { CompletedFile, CompleteSummary, Delivery, PgpodDb, RunContext, RunJob } from "./db.ts";
import type { RunpodResult } from "./schemas.ts";
import { type UrlSettings, withResultUrls } from "./result-urls.ts";
import type { StorageWriter } from "./storage.ts";
import { isDataRefusal, unstorableReason, unstorableShape } from "./storable.ts";
import { type StoredOriginal, type VariantBudget, variantBudget, withVariants } from "./variant-files.ts";

export interface CompletionDeps {
  db: PgpodDb;
  storage: StorageWriter;
  download: Downloader;
}

/** Files of one job uploaded at once; Storage requests are I/O, not CPU. */
const uploadParallelism = 4;

function checkedStoragePath(job: RunJob, storagePath: string, index: number): string {
  const path = storagePath.replace(/^\/+/, "");
  const segments = path.split("/");
  if (!path.startsWith(`${job.storage_prefix}/`) || segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new OutputError(`output file ${index}: storage_path "${storagePath}" is outside the job's folder ${job.storage_prefix}/`);
  }
  return path;
}

/** Stores one file; an image's bytes are kept for the variants step when `keepsImageBytes` says the endpoint makes variants. */
async function storeFile(
  deps: CompletionDeps,
  ctx: RunContext,
  job: RunJob,
  file: OutputFile,
  keepsImageBytes: () => Promise<boolean>,
): Promise<StoredOriginal> {
  const base = { index: file.index, filename: file.filename, bucket: ctx.bucket };
  const what = `output file ${file.index}`;
  const policy = { publicBucket: ctx.publicOutputs, allowActive: ctx.allowActiveOutputs };
  if (file.source.kind === "stored") {
    const path = checkedStoragePath(job, file.source.storagePath, file.index);
    const found = await deps.storage.info(ctx.bucket, path);
    if (!found) throw new OutputError(`${what}: nothing was uploaded to ${path}`);
    // Storage serves what the worker uploaded as it was declared; active content is taken down.
    const type = normaliseContentType(found.contentType) ?? "application/octet-stream";
    if (isActiveContentType(type) && !policy.allowActive) {
      await deps.storage.remove(ctx.bucket, path);
      throw new OutputError(`${what} was uploaded as ${type}; HTML, SVG, XML and script files are stored only from an endpoint with allow_active_outputs`);
    }
    return { ref: { ...base, path, content_type: type, size: found.size, sha256: null }, bytes: null };
  }
  let bytes: Uint8Array;
  let contentType = file.contentType;
  if (file.source.kind === "inline") {
    bytes = file.source.bytes;
  } else {
    const downloaded = await deps.download(file.source.url);
    bytes = downloaded.bytes;
    contentType ??= normaliseContentType(downloaded.contentType);
  }
  const type = storableContentType(await detectedContentType(bytes, file.filename, contentType), policy, what);
  const path = `${job.storage_prefix}/${file.filename}`;
  await deps.storage.upload(ctx.bucket, path, bytes, type);
  const ref = { ...base, path, content_type: type, size: bytes.byteLength, sha256: sha256Hex(bytes) };
  return { ref, bytes: type.startsWith("image/") && await keepsImageBytes() ? bytes : null };
}

type JobResult = { job: RunJob; output: unknown; files: FileRef[] } | { job: RunJob; error: string };

/** How one delivery publishes its files: their URLs, and the variants budget when the endpoint has variants. */
interface DeliverySettings {
  urls: UrlSettings;
  variants: VariantBudget | null;
}

/** Stores one job's files (and their variants); an unusable output becomes that job's error. */
async function storeJobOutput(
  deps: CompletionDeps,
  ctx: RunContext,
  delivery: () => Promise<DeliverySettings>,
  job: RunJob,
  output: unknown,
  allocate: Allocate,
): Promise<JobResult> {
  // Checked before any file is stored: nothing of an output Postgres refuses is kept.
  const shape = unstorableShape(output);
  if (shape) return { job, error: `pgpod: output refused: ${shape}` };
  try {
    const split = splitOutput(output, allocate);
    const keepsImageBytes = async () => (await delivery()).variants !== null;
    const stored = await mapLimited(split.files, uploadParallelism, (file) => storeFile(deps, ctx, job, file, keepsImageBytes));
    const settings = stored.length === 0 ? null : await delivery();
    const refs = settings?.variants ? await withVariants(deps.storage, stored, settings.variants) : stored.map((s) => s.ref);
    const kept = split.withRefs(settings ? await withResultUrls(deps.storage, settings.urls, refs) : refs);
    const problem = unstorableReason(kept);
    if (problem) return { job, error: `pgpod: output refused: ${problem}` };
    return { job, output: kept, files: refs };
  } catch (error) {
    if (error instanceof OutputError) return { job, error: `pgpod: ${error.message}` };
    throw error;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One result per job of the run: the job's entry of a grouped output, or the whole output. */
function perJobOutputs(ctx: RunContext, output: unknown): Array<{ job: RunJob; output?: unknown; error?: string }> {
  if (!ctx.grouped) return [{ job: ctx.jobs[0], output }];
  const results = isRecord(output) && Array.isArray(output.results) ? output.results : null;
  if (!results) return ctx.jobs.map((job) => ({ job, error: "pgpod: grouped output has no results array" }));
  const byJob = new Map<string, Record<string, unknown>>();
  for (const entry of results) if (isRecord(entry) && typeof entry.job_id === "string") byJob.set(entry.job_id, entry);
  return ctx.jobs.map((job) => {
    const entry = byJob.get(job.job_id);
    if (!entry) return { job, error: "pgpod: grouped output has no result for this job" };
    if (entry.error !== undefined && entry.error !== null) {
      return { job, error: typeof entry.error === "string" ? entry.error : JSON.stringify(entry.error) };
    }
    return { job, output: entry.output };
  });
}

/** What complete_runs receives: RunPod's result minus the echoed input and webhook URL (which holds the token). */
function recordedResult(result: RunpodResult): Record<string, unknown> {
  const { input: _input, webhook: _webhook, ...kept } = result;
  return kept;
}

/** The attempt's end when its result cannot be stored: failed (if it had succeeded), without its output or files. */
function refused(delivery: Delivery, problem: string): Delivery {
  const { result } = delivery;
  const status = result.status === "COMPLETED" ? "FAILED" : result.status;
  return { ...delivery, result: { id: result.id, status, error: `pgpod: output refused: ${problem}` }, files: [] };
}

/**
 * A result Postgres cannot store fails the attempt with a pgpod: error
 * instead of raising on every delivery.
 */
function storable(delivery: Delivery): Delivery {
  const problem = unstorableReason(delivery.result);
  return problem ? refused(delivery, problem) : delivery;
}

/** One complete_runs call; a failure is every delivery's outcome. */
async function recordTogether(db: PgpodDb, deliveries: Delivery[]): Promise<PromiseSettledResult<CompleteSummary>[]> {
  try {
    return (await db.completeRuns(deliveries)).map((value) => ({ status: "fulfilled", value }));
  } catch (reason) {
    return deliveries.map(() => ({ status: "rejected", reason }));
  }
}

/**
 * Records deliveries in one complete_runs call. When the database refuses the
 * data of one of them, the call records nothing, so each is recorded alone:
 * the refused one fails its attempt without its output, the others get their
 * own answers. Only infrastructure trouble (a lost connection, a timeout)
 * leaves a delivery unrecorded, as a rejected outcome.
 */
export async function recordDeliveries(db: PgpodDb, deliveries: Delivery[]): Promise<PromiseSettledResult<CompleteSummary>[]> {
  if (deliveries.length === 0) return [];
  const outcomes = await recordTogether(db, deliveries);
  const first = outcomes[0];
  if (first.status === "fulfilled" || !isDataRefusal(first.reason)) return outcomes;
  if (deliveries.length === 1) {
    const why = `the database refused it (${first.reason.code}: ${first.reason.message})`;
    return await recordTogether(db, [refused(deliveries[0], why)]);
  }
  const alone: PromiseSettledResult<CompleteSummary>[] = [];
  for (const delivery of deliveries) alone.push(...await recordDeliveries(db, [delivery]));
  return alone;
}

/**
 * The delivery of a result that stores no files: unsuccessful attempts, and
 * deliveries complete_runs will refuse (it notes why in job_events). Any file
 * bytes are dropped from the output.
 */
export function deliveryWithoutFiles(runId: string, attempt: number, result: RunpodResult): Delivery {
  const recorded = recordedResult(result);
  if (result.output !== undefined) recorded.output = withoutFileBytes(result.output);
  return storable({ runId, attempt, result: recorded, files: [] });
}

/** Stores the result's output files and returns the delivery that records them; `allocate` gives the decoded files their memory. */
export async function storedDelivery(deps: CompletionDeps, ctx: RunContext, result: RunpodResult, allocate: Allocate = freshBytes): Promise<Delivery> {
  if (result.status !== "COMPLETED" || result.output === undefined || result.output === null) {
    return deliveryWithoutFiles(ctx.runId, ctx.attempt, result);
  }
  const recorded = recordedResult(result);
  if (!ctx.grouped && ctx.jobs.length !== 1) throw new Error(`run ${ctx.runId} is not grouped but has ${ctx.jobs.length} jobs`);
  await deps.storage.ensureBucket(ctx.bucket, ctx.publicOutputs);
  // Read once, and only when some job of the run has files.
  let settings: Promise<DeliverySettings> | undefined;
  const delivery = () =>
    settings ??= deps.db.outputSettings(ctx.endpoint).then((s) => ({
      urls: { bucket: ctx.bucket, publicBucket: ctx.publicOutputs, signedUrlTtlS: s.signedUrlTtlS },
      variants: s.variants && variantBudget(s.variants),
    }));
  const jobResults: JobResult[] = [];
  for (const item of perJobOutputs(ctx, result.output)) {
    jobResults.push(
      item.error !== undefined ? { job: item.job, error: item.error } : await storeJobOutput(deps, ctx, delivery, item.job, item.output, allocate),
    );
  }
  const files: CompletedFile[] = jobResults.flatMap((r) => "files" in r ? r.files.map((f) => ({ job_id: r.job.job_id, ...f })) : []);
  if (ctx.grouped) {
    recorded.output = {
      results: jobResults.map((r) => "error" in r ? { job_id: r.job.job_id, error: r.error } : { job_id: r.job.job_id, output: r.output }),
    };
  } else {
    const only = jobResults[0];
    if ("error" in only) {
      recorded.status = "FAILED";
      recorded.error = only.error;
      recorded.output = withoutFileBytes(result.output);
    } else {
      recorded.output = only.output;
    }
  }
  return storable({ runId: ctx.runId, attempt: ctx.attempt, result: recorded, files });
}
