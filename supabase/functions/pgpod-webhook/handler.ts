// pgpod-webhook: RunPod posts a job's final /status body here. The URL's
// token is checked before the body is read; files are stored first, then the
// result is recorded by complete_runs together with the other deliveries that
// arrived within a few milliseconds (group commit), each answered with its own
// summary. Deliveries that cannot apply (unknown run, old attempt, repeated,
// duplicate RunPod job) answer 200 and change nothing but the audit trail; a
// Storage or database failure answers 503 so RunPod retries, and the
// dispatcher's reconciler is the second net.
import { batcher } from "../_shared/batcher.ts";
import { deliveryWithoutFiles, recordDeliveries, storedDelivery } from "../_shared/completion.ts";
import type { WebhookConfig } from "../_shared/config.ts";
import { type CompleteSummary, type Delivery, isDatabaseUnavailable } from "../_shared/db.ts";
import { type SharedDeps, sharedDeps } from "../_shared/deps.ts";
import { TransientError } from "../_shared/errors.ts";
import { BodyTooLarge, json, readBytes } from "../_shared/http.ts";
import { parseJsonBytes } from "../_shared/json-bytes.ts";
import { type Allocate, reusing } from "../_shared/outputs.ts";
import { runpodResultSchema, webhookQuerySchema } from "../_shared/schemas.ts";

export function webhookHandler(config: WebhookConfig, deps: SharedDeps = sharedDeps(config, "pgpod-webhook")) {
  const { db, tokens } = deps;
  const record = batcher<Delivery, CompleteSummary>(
    { maxSize: config.limits.completionBatchSize, maxWaitMs: config.limits.completionBatchWaitMs },
    (deliveries) => recordDeliveries(db, deliveries),
  );

  return async (req: Request): Promise<Response> => {
    if (req.method !== "POST") return json(405, { error: "use POST" });
    const query = webhookQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
    if (!query.success || !(await tokens.verify(query.data.run, query.data.attempt, query.data.sig))) {
      await req.body?.cancel();
      return json(401, { error: "missing or invalid webhook token" });
    }
    const { run, attempt } = query.data;

    let body: unknown;
    let allocate: Allocate;
    try {
      const bytes = await readBytes(req, config.limits.webhookBodyBytes);
      body = parseJsonBytes(bytes);
      // Parsing copied out every string: the files are decoded into the body's own buffer.
      allocate = reusing(bytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) return json(413, { error: error.message });
      return json(400, { error: "body must be JSON" });
    }
    const parsed = runpodResultSchema.safeParse(body);
    if (!parsed.success) {
      return json(400, {
        error: "body is not a RunPod job result",
        issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
      });
    }
    const result = parsed.data;

    try {
      const ctx = await db.runContext(run, attempt, result.id);
      // Without a context complete_runs records why it does not apply (unknown, stale, repeated).
      const delivery = ctx ? await storedDelivery(deps, ctx, result, allocate) : deliveryWithoutFiles(run, attempt, result);
      return json(200, await record(delivery));
    } catch (error) {
      const message = (error as Error).message;
      console.error(`pgpod-webhook run ${run} attempt ${attempt}: ${message}`);
      return json(error instanceof TransientError || isDatabaseUnavailable(error) ? 503 : 500, { error: message });
    }
  };
}
