import { deepMerge, faultsSchema, settingsSchema, type EmulatorSettings, type EmulatorSettingsPatch, type EndpointConfig, type FaultSettings, type FaultSettingsPatch, type ResolvedConfig } from "./config.ts";
import { zeroCounters, type Counters } from "./counters.ts";
import { Dice } from "./dice.ts";
import { Endpoint } from "./endpoint.ts";
import { loadHandler } from "./handlers.ts";
import { RateLimiter } from "./rate-limit.ts";
import { Timers } from "./timers.ts";
import { WebhookDispatcher } from "./webhooks.ts";

export class UnknownEndpointError extends Error {
  constructor(readonly endpointId: string) {
    super(`endpoint ${endpointId} not found`);
  }
}

/** Run-time controls, the same through code and through /_emulator. */
export interface EmulatorControl {
  faults(endpointId: string): FaultSettings;
  /** Merges the patch over the endpoint's current faults and returns the result. */
  setFaults(endpointId: string, patch: FaultSettingsPatch): FaultSettings;
  counters(endpointId: string): Counters;
  allCounters(): Record<string, Counters>;
  settings(): EmulatorSettings;
  /** Merges the patch over the current settings (webhook delay, retention, limits, ...) and returns the result. */
  updateSettings(patch: EmulatorSettingsPatch): EmulatorSettings;
  /** Puts faults back to their configured values and zeroes counters and rate-limit windows, for one endpoint or all (all also restores the settings). Jobs are kept. */
  reset(endpointId?: string): void;
  state(): Record<string, unknown>;
}

export interface EndpointEntry {
  config: EndpointConfig;
  faults: FaultSettings;
  counters: Counters;
  endpoint: Endpoint;
}

/** The emulator without its HTTP server: endpoints, settings, faults, counters, webhooks. */
export class Emulator implements EmulatorControl {
  readonly timers = new Timers();
  readonly rateLimiter = new RateLimiter();
  readonly dice: Dice;
  readonly webhooks: WebhookDispatcher;
  private readonly entries = new Map<string, EndpointEntry>();
  private currentSettings: EmulatorSettings;

  private constructor(
    private readonly config: ResolvedConfig,
    log: (line: string) => void,
  ) {
    this.currentSettings = this.configuredSettings();
    this.dice = new Dice(config.seed);
    this.webhooks = new WebhookDispatcher(() => this.currentSettings.webhook, this.dice, this.timers, log);
  }

  static async create(config: ResolvedConfig, handlerBaseDir: string, log: (line: string) => void): Promise<Emulator> {
    const emulator = new Emulator(config, log);
    for (const [id, endpointConfig] of Object.entries(config.endpoints)) {
      const handler = await loadHandler(endpointConfig.handler, handlerBaseDir);
      const counters = zeroCounters();
      const entry: EndpointEntry = {
        config: endpointConfig,
        faults: endpointConfig.faults,
        counters,
        endpoint: new Endpoint({
          id,
          config: endpointConfig,
          handler,
          settings: () => emulator.currentSettings,
          // Read at use time: setFaults and reset replace entry.faults.
          faults: () => entry.faults,
          counters,
          dice: emulator.dice,
          timers: emulator.timers,
          onTerminal: (job) => {
            if (emulator.webhooks.wants(job)) emulator.webhooks.send({ endpointId: id, faults: () => entry.faults, counters }, job);
          },
        }),
      };
      emulator.entries.set(id, entry);
    }
    return emulator;
  }

  findEntry(endpointId: string): EndpointEntry | undefined {
    return this.entries.get(endpointId);
  }

  private entry(endpointId: string): EndpointEntry {
    const entry = this.entries.get(endpointId);
    if (!entry) throw new UnknownEndpointError(endpointId);
    return entry;
  }

  faults(endpointId: string): FaultSettings {
    return this.entry(endpointId).faults;
  }

  setFaults(endpointId: string, patch: FaultSettingsPatch): FaultSettings {
    const entry = this.entry(endpointId);
    entry.faults = faultsSchema.parse(deepMerge(entry.faults, patch));
    return entry.faults;
  }

  counters(endpointId: string): Counters {
    return { ...this.entry(endpointId).counters };
  }

  allCounters(): Record<string, Counters> {
    return Object.fromEntries([...this.entries].map(([id, entry]) => [id, { ...entry.counters }]));
  }

  settings(): EmulatorSettings {
    return this.currentSettings;
  }

  updateSettings(patch: EmulatorSettingsPatch): EmulatorSettings {
    this.currentSettings = settingsSchema.parse(deepMerge(this.currentSettings, patch));
    return this.currentSettings;
  }

  reset(endpointId?: string): void {
    const ids = endpointId === undefined ? [...this.entries.keys()] : [endpointId];
    for (const id of ids) {
      const entry = this.entry(id);
      entry.faults = entry.config.faults;
      Object.assign(entry.counters, zeroCounters());
      this.rateLimiter.reset(`${id}:`);
    }
    if (endpointId === undefined) this.currentSettings = this.configuredSettings();
  }

  state(): Record<string, unknown> {
    const endpoints = Object.fromEntries(
      [...this.entries].map(([id, { config, faults, counters, endpoint }]) => [
        id,
        { handler: config.handler, workers: config.workers, coldStartMs: config.coldStartMs, idleTimeoutMs: config.idleTimeoutMs, executionTimeoutMs: config.executionTimeoutMs, faults, counters, health: endpoint.health() },
      ]),
    );
    return { settings: this.currentSettings, endpoints, pendingTimers: this.timers.pendingCount };
  }

  close(): void {
    for (const { endpoint } of this.entries.values()) endpoint.close();
    this.webhooks.close();
    this.timers.clearAll();
  }

  private configuredSettings(): EmulatorSettings {
    const { endpoints: _endpoints, ...settings } = this.config;
    return settingsSchema.parse(settings);
  }
}
