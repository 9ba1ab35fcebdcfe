// Sends the scenario the way apps do: each user's supabase-js client, signed
// in through Auth, calls the Data API (directly, or through the client SDK),
// so PostgREST, RLS, auth.uid() and the insert triggers all apply;
// recordings are uploaded to Storage first.
import { pgpod } from "@pgpod/client";
import type { SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "../../supabase/database.types.ts";
import { uploadRecording } from "./inputs.ts";
import { type Expected, type Step } from "./scenario.ts";
import type { DemoUser } from "./users.ts";

/** How a job came in through the Data API. */
export type Via = "pgpod.jobs insert" | "public.documents insert" | "SDK submit";

export interface TrackedJob {
  id: string;
  endpoint: string;
  expected: Expected;
  label: string;
  user: DemoUser;
  via: Via;
  documentId?: string;
}

export interface SubmitFailure {
  step: Step;
  error: string;
}

type Client = SupabaseClient<Database>;
type Ids = Array<{ id: string; documentId?: string }>;

/** The rows of a Data API answer, or its error (PostgREST's message) thrown. */
function rows<R extends { data: unknown; error: { message: string } | null }>(answer: R): NonNullable<R["data"]> {
  if (answer.error) throw new Error(answer.error.message);
  if (answer.data === null) throw new Error("the Data API answered without rows");
  return answer.data as NonNullable<R["data"]>;
}

const jobs = (client: Client) => client.schema("pgpod").from("jobs");

async function perform(client: Client, step: Step, runTag: string): Promise<{ endpoint: string; via: Via; ids: Ids }> {
  const a = step.action;
  switch (a.kind) {
    case "image": {
      const ids = rows(await jobs(client).insert({ endpoint: "image", input: { prompt: a.prompt, width: 256, height: 256 } }).select("id"));
      return { endpoint: "image", via: "pgpod.jobs insert", ids };
    }
    case "variations": {
      // one POST, one insert statement for all of them
      const variations = Array.from({ length: a.count }, (_, n) => ({
        endpoint: "image",
        input: { prompt: `${a.prompt}, variation ${n + 1}`, width: 256, height: 256 },
      }));
      return { endpoint: "image", via: "pgpod.jobs insert", ids: rows(await jobs(client).insert(variations).select("id")) };
    }
    case "document": {
      const audio = "url" in a.audio ? { audio_url: a.audio.url } : { audio_path: await uploadRecording(client, a.audio.upload) };
      const doc = rows(await client.from("documents").insert({ title: a.title, ...audio }).select("id").single());
      const ids = rows(await jobs(client).select("id").eq("source_table", "public.documents").eq("source_id", doc.id));
      return { endpoint: "transcribe", via: "public.documents insert", ids: ids.map((r) => ({ id: r.id, documentId: doc.id })) };
    }
    case "flaky": {
      // The key is unique per demo run: the emulator counts failures per key.
      const key = `${runTag}-${a.key}`;
      const input = a.fail ? { fail: true } : { key, fail_times: a.failTimes };
      const job = await pgpod(client).submit("flaky", input, { idempotencyKey: key });
      return { endpoint: "flaky", via: "SDK submit", ids: [{ id: job.id }] };
    }
    case "upload": {
      const ids = rows(await jobs(client).insert({ endpoint: "upload", input: { prompt: a.prompt } }).select("id"));
      return { endpoint: "upload", via: "pgpod.jobs insert", ids };
    }
    case "cancel": {
      const ids = rows(await jobs(client).insert({ endpoint: "sleep", input: { ms: a.ms } }).select("id"));
      return { endpoint: "sleep", via: "pgpod.jobs insert", ids };
    }
  }
}

/** Waits (up to a minute) until RunPod has the job, then cancels it as its owner, as a user pressing "Stop" would. */
async function cancelOnceSubmitted(client: Client, jobId: string): Promise<void> {
  const sdk = pgpod(client);
  await new Promise<void>((resolve) => {
    const done = () => (clearTimeout(timer), stop(), resolve());
    const timer = setTimeout(done, 60_000);
    const stop = sdk.watch(jobId, (job) => job.status !== "queued" && job.status !== "submitting" && done(), { onError: () => {} });
  });
  await sdk.cancel(jobId);
}

export interface Traffic {
  jobs: TrackedJob[];
  failures: SubmitFailure[];
  /** Resolves when every step was sent (and the cancel was requested). */
  done: Promise<void>;
}

/** Sends the steps evenly over durationMs; `jobs` fills in as they are inserted. */
export function sendTraffic(users: DemoUser[], steps: Step[], durationMs: number): Traffic {
  const runTag = Date.now().toString(36);
  const traffic: Traffic = { jobs: [], failures: [], done: Promise.resolve() };
  const startedAt = Date.now();
  const sends = steps.map(async (step, index) => {
    const at = startedAt + (index * durationMs) / steps.length;
    await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
    const user = users[step.user];
    try {
      const { endpoint, via, ids } = await perform(user.client, step, runTag);
      for (const { id, documentId } of ids) {
        traffic.jobs.push({ id, endpoint, expected: step.expected, label: step.label, user, via, documentId });
      }
      if (step.action.kind === "cancel") await cancelOnceSubmitted(user.client, ids[0].id);
    } catch (error) {
      traffic.failures.push({ step, error: error instanceof Error ? error.message : String(error) });
    }
  });
  traffic.done = Promise.all(sends).then(() => undefined);
  return traffic;
}
