// HS256 JWTs signed with the project's secret: the callers' access tokens and
// the tokens inside signed download and upload URLs.
import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import type { IncomingMessage } from "node:http";
import { StorageError, errors } from "./errors.ts";

export interface Claims extends JWTPayload {
  role: string;
}

export interface DownloadGrant {
  url: string;
  /** An image transformation (`width:256,height:256,…`) the URL is signed for. */
  transformations?: string;
}

export interface UploadGrant {
  url: string;
  owner: string | null;
  upsert: boolean;
}

export class Tokens {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  /** The verified claims of the request's bearer token (or its apikey header). */
  async caller(req: IncomingMessage): Promise<Claims> {
    const bearer = /^bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const apikey = req.headers.apikey;
    const token = bearer ?? (typeof apikey === "string" ? apikey : undefined);
    if (!token) throw errors.missingAuthorization();
    const claims = await this.verify(token, errors.invalidJwt);
    if (typeof claims.role !== "string" || claims.role === "") throw errors.invalidJwt("jwt has no role claim");
    return claims as Claims;
  }

  async signDownload(url: string, expiresInSeconds: number, transformations?: string): Promise<string> {
    return this.sign({ url, ...(transformations ? { transformations } : {}) } satisfies DownloadGrant, expiresInSeconds);
  }

  async signUpload(grant: UploadGrant, expiresInSeconds: number): Promise<string> {
    return this.sign({ ...grant }, expiresInSeconds);
  }

  /** A download grant for exactly `url` (`bucket/key`); upload grants do not qualify. */
  async verifyDownload(token: string, url: string): Promise<DownloadGrant> {
    const payload = await this.verify(token, errors.invalidJwt);
    if ("upsert" in payload || payload.url !== url) throw errors.invalidSignature("The url do not match the signature");
    return { url, ...(typeof payload.transformations === "string" ? { transformations: payload.transformations } : {}) };
  }

  async verifyUpload(token: string, url: string): Promise<UploadGrant> {
    const payload = await this.verify(token, errors.invalidJwt);
    if (typeof payload.upsert !== "boolean" || payload.url !== url) {
      throw errors.invalidSignature("The url do not match the signature");
    }
    return { url, owner: typeof payload.owner === "string" ? payload.owner : null, upsert: payload.upsert };
  }

  private async sign(payload: Record<string, unknown>, expiresInSeconds: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(payload)
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuedAt(now)
      .setExpirationTime(now + expiresInSeconds)
      .sign(this.key);
  }

  private async verify(token: string, fail: (message: string) => StorageError): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ["HS256"] });
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw fail("jwt expired");
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw fail("invalid signature");
      throw fail("jwt malformed");
    }
  }
}
