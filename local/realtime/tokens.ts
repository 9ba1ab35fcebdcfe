// JWT checks as Realtime makes them: signed with the project secret, with a
// string `role` and an integer `exp` in the future. Failures carry the
// "<Code>: <message>" reason the real server replies with.
import { decodeJwt, errors, jwtVerify, type JWTPayload } from "jose";

export interface Claims extends JWTPayload {
  role: string;
  exp: number;
}

export type TokenCheck = { ok: true; claims: Claims } | { ok: false; reason: string };

export function tokenChecker(jwtSecret: string) {
  const key = new TextEncoder().encode(jwtSecret);
  return async function check(token: string | undefined): Promise<TokenCheck> {
    if (!token) return { ok: false, reason: "InvalidJWTToken: The token provided is empty" };
    try {
      decodeJwt(token);
    } catch {
      return { ok: false, reason: "MalformedJWT: The token provided is not a valid JWT" };
    }
    let payload: JWTPayload;
    try {
      // Expiry is checked below, to say by how long it passed.
      ({ payload } = await jwtVerify(token, key, { algorithms: ["HS256"], clockTolerance: Number.MAX_SAFE_INTEGER }));
    } catch (error) {
      if (error instanceof errors.JWSSignatureVerificationFailed) {
        return { ok: false, reason: "InvalidJWTToken: The token signature is not valid" };
      }
      if (error instanceof errors.JWTClaimValidationFailed) {
        return { ok: false, reason: "InvalidJWTToken: Fields `role` and `exp` are required in JWT" };
      }
      return { ok: false, reason: "MalformedJWT: The token provided is not a valid JWT" };
    }
    if (typeof payload.role !== "string" || !Number.isInteger(payload.exp)) {
      return { ok: false, reason: "InvalidJWTToken: Fields `role` and `exp` are required in JWT" };
    }
    const expiredFor = Math.floor(Date.now() / 1000) - (payload.exp as number);
    if (expiredFor >= 0) return { ok: false, reason: `InvalidJWTToken: Token has expired ${expiredFor} seconds ago` };
    return { ok: true, claims: payload as Claims };
  };
}

export type TokenChecker = ReturnType<typeof tokenChecker>;
