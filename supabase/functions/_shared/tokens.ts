// Per-run webhook tokens. RunPod cannot sign its webhooks, so the webhook URL
// itself carries an HMAC over the run id and attempt: only a URL handed out by
// pgpod-dispatch for that exact attempt verifies.

const encoder = new TextEncoder();

function importKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

function message(runId: string, attempt: number): Uint8Array<ArrayBuffer> {
  return encoder.encode(`pgpod-webhook:${runId}:${attempt}`);
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

export interface WebhookTokens {
  sign(runId: string, attempt: number): Promise<string>;
  verify(runId: string, attempt: number, signature: string): Promise<boolean>;
}

export function webhookTokens(secret: string): WebhookTokens {
  const key = importKey(secret);
  return {
    async sign(runId, attempt) {
      const mac = await crypto.subtle.sign("HMAC", await key, message(runId, attempt));
      return toBase64Url(new Uint8Array(mac));
    },
    async verify(runId, attempt, signature) {
      const mac = fromBase64Url(signature);
      // crypto.subtle.verify compares in constant time; a wrong length simply fails.
      if (!mac) return false;
      return await crypto.subtle.verify("HMAC", await key, mac, message(runId, attempt));
    },
  };
}

/**
 * Compares a presented shared secret with the expected one without leaking
 * where they differ: both are hashed first, so the comparison always runs over
 * 32 bytes whatever the lengths.
 */
export async function secretsEqual(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}
