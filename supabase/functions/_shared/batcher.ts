// Group commit: calls made close together in one function instance become one
// call of `flush`. The first item waits at most maxWaitMs for company; a batch
// goes at once when it reaches maxSize. Each caller gets its own item's
// outcome, so one item's failure is that item's alone.

export interface BatchLimits {
  /** Items handed to one flush, at most (1 turns batching off). */
  maxSize: number;
  /** How long the first item of a batch waits for others. */
  maxWaitMs: number;
}

/** Handles a batch: one settled outcome per item, in the items' order. */
export type Flush<I, O> = (items: I[]) => Promise<PromiseSettledResult<O>[]>;

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (reason: unknown) => void;
}

export function batcher<I, O>(limits: BatchLimits, flush: Flush<I, O>): (item: I) => Promise<O> {
  if (!Number.isInteger(limits.maxSize) || limits.maxSize < 1) throw new Error(`batch maxSize must be a positive integer, not ${limits.maxSize}`);
  if (!(limits.maxWaitMs >= 0)) throw new Error(`batch maxWaitMs must be 0 or more, not ${limits.maxWaitMs}`);
  let waiting: Waiting<I, O>[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function send() {
    clearTimeout(timer);
    timer = undefined;
    const batch = waiting;
    waiting = [];
    try {
      const outcomes = await flush(batch.map((w) => w.item));
      if (outcomes.length !== batch.length) throw new Error(`a batch of ${batch.length} got ${outcomes.length} outcomes`);
      outcomes.forEach((outcome, i) => outcome.status === "fulfilled" ? batch[i].resolve(outcome.value) : batch[i].reject(outcome.reason));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (waiting.length >= limits.maxSize) void send();
      else timer ??= setTimeout(() => void send(), limits.maxWaitMs);
    });
}
