// Processes tests started and stopped: whether one still exists, and which
// of a name run in a process group (from /proc), so a test can prove a child
// was started and is gone afterwards.
import { readdirSync, readFileSync } from "node:fs";

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function processesIn(group: number, name: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      // pid (comm) state ppid pgrp ...
      const [, comm, rest] = /^\d+ \((.*)\) (.*)$/.exec(readFileSync(`/proc/${entry}/stat`, "utf8").trim()) ?? [];
      if (comm === name && Number(rest.split(" ")[2]) === group) found.push(Number(entry));
    } catch {
      /* the process ended while we looked */
    }
  }
  return found;
}
