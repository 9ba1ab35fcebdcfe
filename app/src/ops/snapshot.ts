// What pgpod.ops_snapshot() returns (see the pgpod_ops_role migration): the
// ops views' rows, and jobs finished per 10 s over the last 10 minutes.
import type { SupabaseClient } from "@supabase/supabase-js";

export interface EndpointStats {
  endpoint: string;
  paused: boolean;
  max_in_flight: number | null;
  batch_size: number;
  queued: number;
  in_flight: number;
  succeeded_1h: number;
  failed_1h: number;
  succeeded_24h: number;
  failed_24h: number;
  queue_wait_p50_s: number | null;
  queue_wait_p95_s: number | null;
  execution_p50_s: number | null;
  execution_p95_s: number | null;
  gpu_seconds_24h: number;
}

export interface QueueHealth {
  endpoint: string;
  queue_name: string;
  queue_length: number | null;
  oldest_msg_age_s: number | null;
  runs_stuck_submitting: number;
  runs_overdue: number;
  submit_refusals: number;
  dispatch_after: string | null;
  kick_problem: string | null;
  problem: string | null;
}

export interface RecentFailure {
  job_id: string;
  endpoint: string;
  attempt: number;
  max_attempts: number;
  error: string | null;
  finished_at: string;
  runpod_job_id: string | null;
}

export interface FinishedBin {
  endpoint: string;
  bin: string;
  succeeded: number;
  failed: number;
  cancelled: number;
}

export interface Snapshot {
  at: string;
  endpoint_stats: EndpointStats[];
  queue_health: QueueHealth[];
  recent_failures: RecentFailure[];
  finished: FinishedBin[];
}

export async function readSnapshot(supabase: SupabaseClient): Promise<Snapshot> {
  const { data, error } = await supabase.schema("pgpod").rpc("ops_snapshot");
  if (error) throw new Error(`pgpod.ops_snapshot failed: ${error.message}`);
  return data as Snapshot;
}
