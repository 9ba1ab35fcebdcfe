// The live collaborators of both handlers, built from config. Tests pass their
// own where they need to observe or break one.
import type { SharedConfig } from "./config.ts";
import { type PgpodDb, pgpodDb } from "./db.ts";
import { type Downloader, downloader } from "./download.ts";
import { urlGuard } from "./public-url.ts";
import { type StorageWriter, storageWriter } from "./storage.ts";
import { type WebhookTokens, webhookTokens } from "./tokens.ts";

export interface SharedDeps {
  db: PgpodDb;
  storage: StorageWriter;
  download: Downloader;
  tokens: WebhookTokens;
}

export function sharedDeps(config: SharedConfig, functionName: string): SharedDeps {
  return {
    db: pgpodDb(config.dbUrl, functionName),
    storage: storageWriter({
      supabaseUrl: config.supabaseUrl,
      serviceRoleKey: config.serviceRoleKey,
      timeoutMs: config.limits.downloadTimeoutMs,
    }),
    download: downloader(
      { maxBytes: config.limits.downloadBytes, timeoutMs: config.limits.downloadTimeoutMs },
      urlGuard({ allowedOrigins: config.fetchAllowedOrigins }),
    ),
    tokens: webhookTokens(config.webhookSecret),
  };
}
