// Compile-time checks of @pgpod/client's types, checked by `tsc` in npm test
// (never run): each @ts-expect-error line must fail to compile, or tsc fails.
import type { SupabaseClient } from "@supabase/supabase-js";
import { pgpod, type JobFile, type JobFailedError } from "@pgpod/client";

interface Endpoints {
  image: { input: { prompt: string; steps?: number }; output: { files: JobFile[]; seed: number } };
  transcribe: { input: { url: string }; output: { text: string } };
}

type AppDatabase = {
  public: {
    Tables: { notes: { Row: { id: number }; Insert: { id?: number }; Update: { id?: number }; Relationships: [] } };
    Views: { [_ in never]: never };
    Functions: { [_ in never]: never };
    Enums: { [_ in never]: never };
    CompositeTypes: { [_ in never]: never };
  };
};

export async function typed(supabase: SupabaseClient<AppDatabase>, untypedClient: SupabaseClient) {
  const jobs = pgpod<Endpoints>(supabase);

  const job = await jobs.submit("image", { prompt: "a fox" }, { idempotencyKey: "k", runAfter: new Date() });
  const endpoint: "image" = job.endpoint;
  const done = await jobs.wait(job);
  const seed: number = done.output.seed;
  const files: JobFile[] = done.output.files;
  const finished: string = done.finished_at;

  // @ts-expect-error a declared endpoint's input must have its required keys
  await jobs.submit("image", { steps: 3 });
  // @ts-expect-error a declared endpoint's input fields keep their types
  await jobs.submit("image", { prompt: 42 });
  // @ts-expect-error one endpoint's input does not fit another
  await jobs.submit("transcribe", { prompt: "a fox" });
  // @ts-expect-error only declared endpoints exist
  await jobs.submit("imagee", { prompt: "a fox" });
  // @ts-expect-error a transcription has no seed
  (await jobs.wait({ id: "x", endpoint: "transcribe" })).output.seed;

  // a job known only by id is one of the declared endpoints
  const any = await jobs.wait("00000000-0000-4000-8000-000000000000");
  if (any.endpoint === "transcribe") {
    const text: string = any.output.text;
    void text;
  }

  jobs.watch(job, (state) => {
    const status: "queued" | "submitting" | "submitted" | "running" | "succeeded" | "failed" | "cancelled" = state.status;
    // watched states may have no output yet
    // @ts-expect-error output is null until the job succeeds
    state.output.seed;
    void status;
  });
  const stop = jobs.watch({ endpoint: "transcribe", status: ["running", "succeeded"] }, (state) => {
    const which: "transcribe" = state.endpoint;
    void which;
  }, { signal: new AbortController().signal, onError: (error) => console.error(error) });
  stop();
  // @ts-expect-error a watch filter names declared endpoints only
  jobs.watch({ endpoint: "nope" }, () => {});

  const page = await jobs.list({ endpoint: "image", limit: 10 });
  const next: string | null = page.next;
  const urls = await jobs.fileUrls(done, { expiresIn: 60, transform: { width: 128 } });
  const url: string = urls[0].url;

  try {
    await jobs.wait(job);
  } catch (error) {
    const failed = error as JobFailedError;
    const message: string | null = failed.job.error;
    void message;
  }

  // without a declaration map, any endpoint takes and returns JSON
  const loose = pgpod(untypedClient);
  const other = await loose.submit("anything", { nested: { list: [1, "two", null] } });
  // @ts-expect-error inputs are JSON objects
  await loose.submit("anything", { when: new Date() });
  const looseDone = await loose.wait(other);
  const looseFiles: JobFile[] | undefined = looseDone.output.files;

  void [endpoint, seed, files, finished, next, url, looseFiles];
}
