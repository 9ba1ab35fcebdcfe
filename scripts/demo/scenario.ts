// What the demo submits: a mix of the traffic a Supabase app sends to pgpod,
// each piece with the final state it must reach.
export type Expected = "succeeded" | "failed" | "cancelled";

export type Action =
  /** One image job inserted into pgpod.jobs. */
  | { kind: "image"; prompt: string }
  /** Several images of one prompt in a single insert statement. */
  | { kind: "variations"; prompt: string; count: number }
  /**
   * A row in public.documents; its trigger queues a grouped transcription.
   * The audio is a recording the user uploads first, or a URL.
   */
  | { kind: "document"; title: string; audio: { upload: string } | { url: string } }
  /** pgpod.submit with an idempotency key, to the flaky worker. */
  | { kind: "flaky"; key: string; failTimes: number; fail: boolean }
  /** A job whose worker uploads its PNG through a signed upload URL. */
  | { kind: "upload"; prompt: string }
  /** A long job the user cancels once RunPod is running it. */
  | { kind: "cancel"; ms: number };

export interface Step {
  user: number;
  action: Action;
  expected: Expected;
  /** Jobs this step creates. */
  jobs: number;
  /** What a person reads in the summary when the job goes wrong. */
  label: string;
}

const subjects = ["a red fox in the snow", "a lighthouse at dusk", "a bowl of ramen", "a city skyline in fog",
  "an astronaut cat", "a watercolor forest", "a vintage bicycle", "a mountain lake at sunrise", "a neon street market",
  "a paper crane", "a steam locomotive", "a field of sunflowers"];
const styles = ["studio photo", "oil painting", "pixel art", "isometric render", "ink sketch", "35mm film"];
const talks = ["weekly-standup", "customer-call", "podcast-episode", "lecture", "voice-memo", "interview"];

/** The flaky endpoint's max_attempts in the seed: a broken job fails this many times. */
export const flakyAttempts = 5;

export const demoUsers = ["alice", "bob", "carol"].map((name) => ({ name, email: `${name}@pgpod-demo.local` }));

/**
 * About a quarter documents, a few flaky jobs, one broken flaky job, one
 * document whose audio is missing, one direct upload, one cancelled job, and
 * images for the rest (a tenth of them as batches of 4 variations). The steps
 * that retry come first, so their retries run while traffic still flows.
 */
export function planScenario(totalJobs: number): Step[] {
  const user = (i: number) => i % demoUsers.length;
  const prompt = (i: number) => `${subjects[i % subjects.length]}, ${styles[Math.floor(i / subjects.length) % styles.length]}`;
  const steps: Step[] = [
    { user: 0, action: { kind: "cancel", ms: 120_000 }, expected: "cancelled", jobs: 1, label: "long job cancelled while running" },
    { user: 1, action: { kind: "flaky", key: "broken-1", failTimes: 0, fail: true }, expected: "failed", jobs: 1,
      label: "flaky job that fails every attempt" },
    { user: 2, action: { kind: "document", title: "Recording with no audio", audio: { url: "" } }, expected: "failed", jobs: 1,
      label: "document without audio" },
    { user: 0, action: { kind: "upload", prompt: "a postcard from the worker" }, expected: "succeeded", jobs: 1,
      label: "direct upload" },
  ];
  const flaky = Math.max(2, Math.round(totalJobs * 0.02));
  for (let i = 0; i < flaky; i++) {
    // The worker fails the first one or two runs of each: every one of these retries, then succeeds.
    steps.push({ user: user(i), action: { kind: "flaky", key: `flaky-${i + 1}`, failTimes: 1 + (i % 2), fail: false },
      expected: "succeeded", jobs: 1, label: "flaky job that succeeds after retries" });
  }
  const documents = Math.max(2, Math.round(totalJobs * 0.25));
  const docSteps: Step[] = [];
  for (let i = 0; i < documents; i++) {
    const name = `${talks[i % talks.length]}-${i + 1}`;
    docSteps.push({ user: user(i + 1), action: { kind: "document", title: name.replace(/-/g, " "), audio: { upload: `${name}.wav` } },
      expected: "succeeded", jobs: 1, label: "document transcription" });
  }
  const imageSteps: Step[] = [];
  let images = totalJobs - steps.length - documents;
  for (let i = 0; images > 0; i++) {
    if (i % 10 === 9 && images >= 4) {
      imageSteps.push({ user: user(i), action: { kind: "variations", prompt: prompt(i), count: 4 }, expected: "succeeded", jobs: 4,
        label: "image variation" });
      images -= 4;
    } else {
      imageSteps.push({ user: user(i), action: { kind: "image", prompt: prompt(i) }, expected: "succeeded", jobs: 1, label: "image" });
      images -= 1;
    }
  }
  return [...steps, ...interleave(docSteps, imageSteps)];
}

/** Merges two lists evenly, as traffic from many users arrives mixed. */
function interleave<T>(a: T[], b: T[]): T[] {
  const merged: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && i / a.length <= j / b.length)) merged.push(a[i++]);
    else merged.push(b[j++]);
  }
  return merged;
}
