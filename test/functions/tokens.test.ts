import { describe, expect, it } from "vitest";
import { secretsEqual, webhookTokens } from "../../supabase/functions/_shared/tokens.ts";

describe("webhook tokens", () => {
  const tokens = webhookTokens("a-webhook-secret");

  it("verifies a token for the run and attempt it was made for", async () => {
    const sig = await tokens.sign("run-1", 2);
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await tokens.verify("run-1", 2, sig)).toBe(true);
  });

  it("is deterministic, so a retried /run carries the same URL", async () => {
    expect(await tokens.sign("run-1", 2)).toBe(await tokens.sign("run-1", 2));
  });

  it("refuses the token of another run, another attempt or another secret", async () => {
    const sig = await tokens.sign("run-1", 2);
    expect(await tokens.verify("run-2", 2, sig)).toBe(false);
    expect(await tokens.verify("run-1", 3, sig)).toBe(false);
    expect(await webhookTokens("another-secret").verify("run-1", 2, sig)).toBe(false);
  });

  it("refuses truncated, altered, empty and non-base64url signatures", async () => {
    const sig = await tokens.sign("run-1", 2);
    const flipped = sig.slice(0, 10) + (sig[10] === "A" ? "B" : "A") + sig.slice(11);
    for (const bad of [sig.slice(0, -1), flipped, "", "!!!!", `${sig}=`, "a b"]) {
      expect(await tokens.verify("run-1", 2, bad)).toBe(false);
    }
  });
});

describe("shared secret comparison", () => {
  it("accepts only the exact secret", async () => {
    expect(await secretsEqual("s3cret", "s3cret")).toBe(true);
    expect(await secretsEqual("s3cret ", "s3cret")).toBe(false);
    expect(await secretsEqual("", "s3cret")).toBe(false);
    expect(await secretsEqual("S3cret", "s3cret")).toBe(false);
  });
});
