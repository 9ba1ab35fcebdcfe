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
 * Dispatcher call tokens: `v1.<issued at, unix seconds>.<hex HMAC-SHA256 of
 * "pgpod-dispatch:<issued at>">`, minted in SQL (pgpod.dispatch_token) with the
 * Vault's pgpod_dispatch_secret. pg_net keeps requests in tables every role can
 * read, so what it carries must expire: a token is good for maxAgeS after it
 * was issued (and maxSkewS before, for clocks that disagree).
 */
export interface DispatchTokens {
  sign(issuedAtS: number): Promise<string>;
  verify(token: string, nowS?: number): Promise<boolean>;
}

export const dispatchTokenMaxAgeS = 120;
const dispatchTokenMaxSkewS = 30;

function dispatchMessage(issuedAtS: number): Uint8Array<ArrayBuffer> {
  return encoder.encode(`pgpod-dispatch:${issuedAtS}`);
}

function fromHex(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^(?:[0-9a-f]{2})+$/.test(text)) return null;
  return Uint8Array.from(text.match(/../g)!, (pair) => parseInt(pair, 16));
}

export function dispatchTokens(secret: string): DispatchTokens {
  const key = importKey(secret);
  return {
    async sign(issuedAtS) {
      const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await key, dispatchMessage(issuedAtS)));
      return `v1.${issuedAtS}.${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
    },
    async verify(token, nowS = Math.floor(Date.now() / 1000)) {
      const match = /^v1\.([0-9]{1,12})\.([0-9a-f]{64})$/.exec(token);
      if (!match) return false;
      const issuedAtS = Number(match[1]);
      if (issuedAtS < nowS - dispatchTokenMaxAgeS || issuedAtS > nowS + dispatchTokenMaxSkewS) return false;
      return await crypto.subtle.verify("HMAC", await key, fromHex(match[2])!, dispatchMessage(issuedAtS));
    },
  };
}
