// Access tokens as Supabase Auth issues them on a project with the legacy
// JWT secret: HS256, the user's claims, the session they belong to. Refresh
// tokens are opaque random strings kept in auth.refresh_tokens.
import { randomBytes } from "node:crypto";
import { SignJWT, jwtVerify, type JWTPayload } from "jose";
import type { IncomingMessage } from "node:http";
import { errors } from "./errors.ts";
import type { UserRow } from "./users.ts";

export interface AccessClaims extends JWTPayload {
  role: string;
  session_id?: string;
  is_anonymous?: boolean;
}

export type SignInMethod = "password" | "anonymous";

export class Tokens {
  private readonly key: Uint8Array;

  constructor(secret: string, readonly issuer: string, readonly lifetimeS: number) {
    this.key = new TextEncoder().encode(secret);
  }

  async access(user: UserRow, sessionId: string, method: SignInMethod, signedInAt: number): Promise<{ token: string; expiresAt: number }> {
    const now = Math.floor(Date.now() / 1000);
    const expiresAt = now + this.lifetimeS;
    const token = await new SignJWT({
      aud: user.aud,
      email: user.email ?? "",
      phone: user.phone ?? "",
      app_metadata: user.raw_app_meta_data,
      user_metadata: user.raw_user_meta_data,
      role: user.role,
      aal: "aal1",
      amr: [{ method, timestamp: signedInAt }],
      session_id: sessionId,
      is_anonymous: user.is_anonymous,
    })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(user.id)
      .setIssuer(this.issuer)
      .setIssuedAt(now)
      .setExpirationTime(expiresAt)
      .sign(this.key);
    return { token, expiresAt };
  }

  /** The verified claims of the request's bearer token. */
  async bearer(req: IncomingMessage): Promise<AccessClaims> {
    const token = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!token) throw errors.noAuthorization();
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ["HS256"] });
      if (typeof payload.role !== "string") throw new Error("no role claim");
      return payload as AccessClaims;
    } catch (error) {
      throw errors.badJwt((error as Error).message);
    }
  }
}

export function newRefreshToken(): string {
  return randomBytes(16).toString("base64url");
}
