import { describe, expect, it } from "vitest";
import { dispatchRequestSchema, runpodResultSchema, webhookQuerySchema } from "../../supabase/functions/_shared/schemas.ts";

describe("schemas", () => {
  it("reads the webhook query string", () => {
    expect(webhookQuerySchema.parse({ run: "42", attempt: "3", sig: "abc" })).toEqual({ run: "42", attempt: 3, sig: "abc" });
    for (const bad of [{ run: "0", attempt: "1", sig: "s" }, { run: "4x", attempt: "1", sig: "s" }, { run: "1", attempt: "-1", sig: "s" }, { run: "1", attempt: "1.5", sig: "s" }, { run: "1", attempt: "1", sig: "" }, { run: "1", attempt: "1" }]) {
      expect(webhookQuerySchema.safeParse(bad).success).toBe(false);
    }
  });

  it("accepts the cloud's webhook body and keeps fields it does not know", () => {
    const body = { delayTime: 4736, executionTime: 157, id: "e46-e1", input: { a: 1 }, output: { results: [] }, status: "COMPLETED", webhook: "https://x", workerId: "w1" };
    expect(runpodResultSchema.parse(body)).toEqual(body);
    expect(runpodResultSchema.parse({ id: "j", status: "FAILED", error: "boom" })).toEqual({ id: "j", status: "FAILED", error: "boom" });
  });

  it("refuses bodies without an id and status, or with negative timings", () => {
    for (const bad of [{}, { id: "j" }, { status: "COMPLETED" }, { id: "", status: "COMPLETED" }, { id: "j", status: "COMPLETED", delayTime: -1 }, [], "x"]) {
      expect(runpodResultSchema.safeParse(bad).success).toBe(false);
    }
  });

  it("takes an optional reason from the dispatcher's callers", () => {
    expect(dispatchRequestSchema.parse({ reason: "cron" })).toEqual({ reason: "cron" });
    expect(dispatchRequestSchema.parse({})).toEqual({});
    expect(dispatchRequestSchema.safeParse({ reason: 5 }).success).toBe(false);
    expect(dispatchRequestSchema.safeParse([]).success).toBe(false);
  });
});
