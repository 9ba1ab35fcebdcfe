import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { FaultSettingsPatch, EmulatorSettingsPatch } from "./config.ts";
import { UnknownEndpointError, type Emulator } from "./emulator.ts";
import { parseJsonObject, readBody, sendJson } from "./http.ts";

/**
 * The test control API under /_emulator (parts are the segments after it):
 *   GET  state                 settings, and per endpoint its config, faults, counters and health
 *   GET  counters[/{endpoint}]
 *   GET  faults/{endpoint}     POST merges the JSON body over the endpoint's faults
 *   GET  settings              POST merges the JSON body over the settings
 *   POST reset                 body { endpoint? }: faults back to config, counters zeroed
 */
export async function handleControl(emulator: Emulator, req: IncomingMessage, res: ServerResponse, parts: string[]): Promise<void> {
  const body = await readBody(req, emulator.settings().bodyLimits.otherBytes);
  if (!body.ok) return sendJson(res, 413, { error: "request body too large" });
  const patch = body.text.trim() === "" ? {} : parseJsonObject(body.text);
  if (!patch) return sendJson(res, 400, { error: "request body must be a JSON object" });
  const route = `${req.method} ${parts[0] ?? ""}`;
  const endpointId = parts[1];
  try {
    if (route === "GET state" && parts.length === 1) return sendJson(res, 200, emulator.state());
    if (route === "GET counters" && parts.length === 1) return sendJson(res, 200, emulator.allCounters());
    if (route === "GET counters" && parts.length === 2) return sendJson(res, 200, emulator.counters(endpointId));
    if (route === "GET faults" && parts.length === 2) return sendJson(res, 200, emulator.faults(endpointId));
    if (route === "POST faults" && parts.length === 2) return sendJson(res, 200, emulator.setFaults(endpointId, patch as FaultSettingsPatch));
    if (route === "GET settings" && parts.length === 1) return sendJson(res, 200, emulator.settings());
    if (route === "POST settings" && parts.length === 1) return sendJson(res, 200, emulator.updateSettings(patch as EmulatorSettingsPatch));
    if (route === "POST reset" && parts.length === 1) {
      emulator.reset(typeof patch.endpoint === "string" ? patch.endpoint : undefined);
      return sendJson(res, 200, { reset: patch.endpoint ?? "all" });
    }
    sendJson(res, 404, { error: `no control route ${req.method} /_emulator/${parts.join("/")}` });
  } catch (err) {
    if (err instanceof UnknownEndpointError) return sendJson(res, 404, { error: err.message });
    if (err instanceof z.ZodError) return sendJson(res, 400, { error: z.prettifyError(err) });
    throw err;
  }
}
