import { describe, expect, it } from "vitest";
import { dispatchTokenMaxAgeS, dispatchTokens, webhookTokens } from "../../supabase/functions/_shared/tokens.ts";

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

describe("dispatcher call tokens", () => {
  const tokens = dispatchTokens("a-dispatch-secret");
  const now = 1_800_000_000;

  it("verifies a fresh token and never carries the secret", async () => {
    const token = await tokens.sign(now);
    expect(token).toMatch(/^v1\.1800000000\.[0-9a-f]{64}$/);
    expect(token).not.toContain("a-dispatch-secret");
    expect(await tokens.verify(token, now)).toBe(true);
    expect(await tokens.verify(token, now + dispatchTokenMaxAgeS)).toBe(true);
  });

  it("refuses a captured token once it is older than its lifetime, or issued too far ahead", async () => {
    expect(await tokens.verify(await tokens.sign(now), now + dispatchTokenMaxAgeS + 1)).toBe(false);
    expect(await tokens.verify(await tokens.sign(now + 3600), now)).toBe(false);
  });

  it("refuses the secret itself, another secret's token and altered tokens", async () => {
    const token = await tokens.sign(now);
    const moved = token.replace(`v1.${now}.`, `v1.${now + 1}.`);
    const flipped = token.slice(0, -1) + (token.endsWith("0") ? "1" : "0");
    for (const bad of ["a-dispatch-secret", "", moved, flipped, token.slice(0, -2), `${token}00`, token.toUpperCase()]) {
      expect(await tokens.verify(bad, now)).toBe(false);
    }
    expect(await dispatchTokens("another-secret").verify(token, now)).toBe(false);
  });
});
