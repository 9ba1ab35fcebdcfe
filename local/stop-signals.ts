// What every long-running npm script does when asked to stop (Ctrl-C, a
// SIGTERM from CI or a process manager, the terminal closing): clean up what
// it started, once, then exit as that signal would have.
import { constants } from "node:os";

const stopSignals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Runs `cleanup` on the first stop signal, then exits with 128 + its number,
 * or with `exitCode` for a server whose stop on request is a success.
 * Signals that arrive meanwhile (a Ctrl-C reaches the whole process group,
 * and run.mjs passes it on too) are ignored. Returns a function that removes
 * the handlers, for when the work ends by itself.
 */
export function onStopSignal(cleanup: (signal: NodeJS.Signals) => Promise<void> | void, exitCode?: number): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    void Promise.resolve()
      .then(() => cleanup(signal))
      .catch((error: Error) => process.stderr.write(`\npgpod: cleaning up after ${signal} failed: ${error.message}\n`))
      .finally(() => process.exit(exitCode ?? 128 + constants.signals[signal]));
  };
  for (const signal of stopSignals) process.on(signal, handler);
  return () => {
    for (const signal of stopSignals) process.off(signal, handler);
  };
}
