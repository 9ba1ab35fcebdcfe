import { describe, expect, it } from "vitest";
import { defaultLimits, dispatchConfig, webhookConfig } from "../../supabase/functions/_shared/config.ts";

const env = {
  SUPABASE_URL: "https://abc.supabase.co/",
  SUPABASE_DB_URL: "postgresql://postgres:pw@db:5432/postgres",
  SUPABASE_SERVICE_ROLE_KEY: "service-key",
  RUNPOD_API_KEY: "rpa_key",
  PGPOD_DISPATCH_SECRET: "dispatch-secret",
  PGPOD_WEBHOOK_SECRET: "webhook-secret",
};

describe("function config", () => {
  it("reads the dispatch config and derives the public functions URL", () => {
    const config = dispatchConfig(env);
    expect(config).toMatchObject({
      supabaseUrl: "https://abc.supabase.co",
      functionsUrl: "https://abc.supabase.co/functions/v1",
      runpodApiKey: "rpa_key",
      dispatchSecret: "dispatch-secret",
      webhookSecret: "webhook-secret",
      limits: defaultLimits,
    });
  });

  it("lets PGPOD_FUNCTIONS_URL point RunPod at a public address and limits be overridden", () => {
    const config = webhookConfig({ ...env, PGPOD_FUNCTIONS_URL: "https://tunnel.example/functions/v1/" }, { webhookBodyBytes: 10 });
    expect(config.functionsUrl).toBe("https://tunnel.example/functions/v1");
    expect(config.limits.webhookBodyBytes).toBe(10);
  });

  it("reads the origins output URLs may be fetched from unchecked, and refuses anything but origins", () => {
    expect(webhookConfig(env).fetchAllowedOrigins).toEqual([]);
    const listed = webhookConfig({ ...env, PGPOD_FETCH_ALLOWED_ORIGINS: "http://127.0.0.1:54321, http://127.0.0.1:54331" });
    expect(listed.fetchAllowedOrigins).toEqual(["http://127.0.0.1:54321", "http://127.0.0.1:54331"]);
    expect(() => webhookConfig({ ...env, PGPOD_FETCH_ALLOWED_ORIGINS: "http://127.0.0.1:54321/storage" })).toThrow(
      'pgpod-webhook: invalid environment: PGPOD_FETCH_ALLOWED_ORIGINS: "http://127.0.0.1:54321/storage" is not an origin like http://host:port',
    );
  });

  it("names every missing variable and the function that needs it", () => {
    expect(() => dispatchConfig({ SUPABASE_URL: env.SUPABASE_URL })).toThrow(
      "pgpod-dispatch: invalid environment: SUPABASE_DB_URL is required; SUPABASE_SERVICE_ROLE_KEY is required; " +
        "PGPOD_WEBHOOK_SECRET is required; RUNPOD_API_KEY is required; PGPOD_DISPATCH_SECRET is required",
    );
  });

  it("does not ask the webhook for secrets only the dispatcher uses", () => {
    const { RUNPOD_API_KEY: _key, PGPOD_DISPATCH_SECRET: _secret, ...webhookEnv } = env;
    expect(webhookConfig(webhookEnv).webhookSecret).toBe("webhook-secret");
    expect(() => webhookConfig({ ...webhookEnv, PGPOD_WEBHOOK_SECRET: "" })).toThrow(
      "pgpod-webhook: invalid environment: PGPOD_WEBHOOK_SECRET is required",
    );
  });

  it("refuses URLs that are not http(s)", () => {
    expect(() => webhookConfig({ ...env, SUPABASE_URL: "ftp://abc" })).toThrow("SUPABASE_URL must be an http(s) URL");
    expect(() => webhookConfig({ ...env, PGPOD_FUNCTIONS_URL: "not a url" })).toThrow("PGPOD_FUNCTIONS_URL must be an http(s) URL");
  });
});
