// The local ops page: pgpod's ops views every 2 s, read with a token for the
// pgpod_ops role (which may read them and nothing else), as tables and charts.
import { createClient } from "@supabase/supabase-js";
import { element, showMessage } from "../dom.ts";
import { fetchSettings, type OpsSettings } from "../settings.ts";
import { OpsCharts } from "./charts.ts";
import { readSnapshot } from "./snapshot.ts";
import { endpointColumns, failureColumns, healthColumns, renderTable } from "./tables.ts";

const pollMs = 2000;
// A token this close to its expiry is replaced before the next read.
const renewBeforeMs = 5 * 60_000;

let settings = await fetchSettings<OpsSettings>("/pgpod-ops-config.json");
async function opsToken(): Promise<string> {
  if (Date.parse(settings.opsTokenExpiresAt) - Date.now() < renewBeforeMs) settings = await fetchSettings("/pgpod-ops-config.json");
  return settings.opsToken;
}
const supabase = createClient(settings.supabaseUrl, settings.anonKey, { accessToken: opsToken });
const charts = new OpsCharts(element("#depth-chart"), element("#throughput-chart"));

async function refresh(): Promise<void> {
  try {
    const snapshot = await readSnapshot(supabase);
    renderTable(element("#endpoint-stats"), endpointColumns, snapshot.endpoint_stats, (r) => r.endpoint);
    renderTable(element("#queue-health"), healthColumns, snapshot.queue_health, (r) => r.endpoint);
    renderTable(element("#recent-failures"), failureColumns, snapshot.recent_failures, (r) => r.job_id);
    element("#no-failures").hidden = snapshot.recent_failures.length > 0;
    element("#recent-failures").hidden = snapshot.recent_failures.length === 0;
    charts.update(snapshot);
    element("#updated").textContent = `updated ${new Date(snapshot.at).toLocaleTimeString()}`;
    showMessage("");
  } catch (error) {
    showMessage((error as Error).message, "error");
  } finally {
    setTimeout(refresh, pollMs);
  }
}

void refresh();
