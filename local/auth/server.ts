// Local stand-in for Supabase Auth (GoTrue) at /auth/v1: the endpoints
// supabase-js's auth client calls for email/password and anonymous users,
// and the admin user endpoints for the service role. Users, sessions and
// refresh tokens live in the auth schema under GoTrue's table names.
import bcrypt from "bcryptjs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { recoveringSql } from "../stack/db-client.ts";
import { readFileSync } from "node:fs";
import { parse as parseToml } from "smol-toml";
import { AuthError, apiVersion, errors, sendError } from "./errors.ts";
import { Sessions, type LogoutScope, type Session } from "./sessions.ts";
import { Tokens, type AccessClaims, type SignInMethod } from "./tokens.ts";
import { Users, normaliseEmail, type UserRow } from "./users.ts";

export interface AuthSettings {
  jwtExpiryS: number;
  signupEnabled: boolean;
  anonymousEnabled: boolean;
  confirmEmail: boolean;
  minPasswordLength: number;
  refreshReuseIntervalS: number;
}

/** The `[auth]` table of supabase/config.toml, with the CLI's defaults. */
export function authSettings(configFile: string): AuthSettings {
  const config = parseToml(readFileSync(configFile, "utf8")) as { auth?: Record<string, unknown> };
  const auth = config.auth ?? {};
  const email = (auth.email ?? {}) as Record<string, unknown>;
  const num = (v: unknown, d: number) => (typeof v === "number" ? v : d);
  const bool = (v: unknown, d: boolean) => (typeof v === "boolean" ? v : d);
  return {
    jwtExpiryS: num(auth.jwt_expiry, 3600),
    signupEnabled: bool(auth.enable_signup, true),
    anonymousEnabled: bool(auth.enable_anonymous_sign_ins, false),
    confirmEmail: bool(email.enable_confirmations, false),
    minPasswordLength: num(auth.minimum_password_length, 6),
    refreshReuseIntervalS: num(auth.refresh_token_reuse_interval, 10),
  };
}

export interface AuthOptions {
  dbUrl: string;
  jwtSecret: string;
  /** The `iss` of access tokens: the project URL + /auth/v1. */
  issuer: string;
  settings: AuthSettings;
  log: (line: string) => void;
}

type Body = Record<string, unknown>;
const maxBody = 1024 * 1024;
const adminRoles = new Set(["service_role", "supabase_admin"]);
const bcryptCost = 10;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function readJson(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw errors.badJson("request body is over 1 MB");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw errors.badJson((error as Error).message);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw errors.badJson("expected a JSON object");
  return body as Body;
}

const object = (v: unknown): Body | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Body) : undefined;

export function createAuthHandler(o: AuthOptions) {
  const sql = recoveringSql(o.dbUrl, { max: 4, onnotice: () => {} });
  const users = new Users(sql);
  const sessions = new Sessions(sql, o.settings.refreshReuseIntervalS);
  const tokens = new Tokens(o.jwtSecret, o.issuer, o.settings.jwtExpiryS);

  const hash = async (password: unknown): Promise<string> => {
    if (typeof password !== "string" || password.length < o.settings.minPasswordLength) {
      throw errors.weakPassword(o.settings.minPasswordLength);
    }
    return await bcrypt.hash(password, bcryptCost);
  };

  async function sessionResponse(user: UserRow, session: Session): Promise<Body> {
    const { token, expiresAt } = await tokens.access(user, session.sessionId, session.method, session.signedInAt);
    return {
      access_token: token,
      token_type: "bearer",
      expires_in: o.settings.jwtExpiryS,
      expires_at: expiresAt,
      refresh_token: session.refreshToken,
      user: await users.json(user),
    };
  }

  async function signIn(user: UserRow, method: SignInMethod, req: IncomingMessage): Promise<Body> {
    const session = await sessions.start(user.id, method, req.headers["user-agent"]);
    return await sessionResponse(await users.signedIn(user.id), session);
  }

  /** The caller's user and session, as GoTrue checks them for /user and /logout. */
  async function caller(req: IncomingMessage): Promise<{ claims: AccessClaims; user: UserRow }> {
    const claims = await tokens.bearer(req);
    if (!claims.sub || !uuidPattern.test(claims.sub)) throw errors.badJwt("sub claim must be a UUID");
    const user = await users.byId(claims.sub);
    if (!user) throw errors.userFromJwtNotFound();
    if (claims.session_id && !(await sessions.exists(claims.session_id))) throw errors.sessionNotFound();
    return { claims, user };
  }

  async function requireAdmin(req: IncomingMessage): Promise<void> {
    const claims = await tokens.bearer(req);
    if (!adminRoles.has(claims.role)) throw errors.notAdmin();
  }

  function banned(user: UserRow): boolean {
    return user.banned_until !== null && user.banned_until.getTime() > Date.now();
  }

  async function signup(req: IncomingMessage): Promise<Body> {
    const body = await readJson(req);
    const data = object(body.data) ?? {};
    if (!o.settings.signupEnabled) throw errors.signupDisabled();
    if (body.phone) throw errors.phoneDisabled();
    if (!body.email && !body.password) {
      if (!o.settings.anonymousEnabled) throw errors.anonymousDisabled();
      const user = await users.create({ email: null, passwordHash: null, confirmed: false, userMetadata: data, appMetadata: {}, anonymous: true });
      return await signIn(user, "anonymous", req);
    }
    const email = normaliseEmail(body.email);
    const passwordHash = await hash(body.password);
    if (await users.byEmail(email)) throw errors.userExists();
    const user = await users.create({
      email, passwordHash, confirmed: !o.settings.confirmEmail, userMetadata: data, appMetadata: {}, anonymous: false,
    }).catch((error) => {
      if ((error as { code?: string }).code === "23505") throw errors.userExists();
      throw error;
    });
    // With confirmations on, GoTrue answers with the user alone until the address is confirmed.
    if (o.settings.confirmEmail) return await users.json(user);
    return await signIn(user, "password", req);
  }

  async function token(req: IncomingMessage, grant: string | null): Promise<Body> {
    const body = await readJson(req);
    if (grant === "password") {
      if (!body.email) throw errors.validation(body.phone ? "Phone logins are disabled" : "missing email or phone");
      const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
      const user = email ? await users.byEmail(email) : undefined;
      const ok = user?.encrypted_password && typeof body.password === "string" &&
        (await bcrypt.compare(body.password, user.encrypted_password));
      if (!user || !ok) throw errors.invalidCredentials();
      if (!user.email_confirmed_at) throw errors.emailNotConfirmed();
      if (banned(user)) throw errors.userBanned();
      return await signIn(user, "password", req);
    }
    if (grant === "refresh_token") {
      if (typeof body.refresh_token !== "string" || body.refresh_token === "") throw errors.validation("refresh_token required");
      const session = await sessions.refresh(body.refresh_token);
      const user = await users.byId(session.userId);
      if (!user) throw errors.refreshTokenNotFound();
      if (banned(user)) throw errors.userBanned();
      return await sessionResponse(user, session);
    }
    throw errors.unsupportedGrant();
  }

  async function updateOwnUser(req: IncomingMessage): Promise<Body> {
    const { user } = await caller(req);
    const body = await readJson(req);
    const email = body.email !== undefined ? normaliseEmail(body.email) : undefined;
    if (email && email !== user.email) {
      const other = await users.byEmail(email);
      if (other && other.id !== user.id) throw errors.emailExists();
    }
    if (body.password !== undefined && !user.email && !email) throw errors.anonymousPassword();
    const passwordHash = body.password !== undefined ? await hash(body.password) : undefined;
    const updated = await users.update(user.id, {
      email: email !== user.email ? email : undefined,
      passwordHash,
      confirmEmail: email !== undefined && !o.settings.confirmEmail,
      userMetadata: object(body.data),
    });
    return await users.json(updated);
  }

  async function logout(req: IncomingMessage, scope: string | null): Promise<void> {
    const { claims, user } = await caller(req);
    const chosen = (scope ?? "global") as LogoutScope;
    if (!["global", "local", "others"].includes(chosen)) throw errors.validation(`unsupported logout scope "${scope}"`);
    if (claims.session_id) await sessions.end(user.id, claims.session_id, chosen);
  }

  /** Admin create and update share the keys GoTrue accepts. */
  async function adminChanges(body: Body, current?: UserRow) {
    const email = body.email !== undefined ? normaliseEmail(body.email) : undefined;
    if (email && email !== current?.email) {
      const other = await users.byEmail(email);
      if (other && other.id !== current?.id) throw errors.emailExists();
    }
    const banDuration = body.ban_duration;
    let bannedUntil: Date | null | undefined;
    if (banDuration === "none") bannedUntil = null;
    else if (typeof banDuration === "string") {
      const m = /^(\d+)h$/.exec(banDuration);
      if (!m) throw errors.validation(`ban_duration must be hours like "24h" or "none"`);
      bannedUntil = new Date(Date.now() + Number(m[1]) * 3600_000);
    }
    return {
      email,
      passwordHash: body.password !== undefined ? await hash(body.password) : undefined,
      confirmEmail: body.email_confirm === true,
      userMetadata: object(body.user_metadata),
      appMetadata: object(body.app_metadata),
      bannedUntil,
    };
  }

  async function admin(req: IncomingMessage, res: ServerResponse, rest: string, url: URL): Promise<Body | undefined> {
    await requireAdmin(req);
    const id = rest.split("/")[0];
    if (rest === "") {
      if (req.method === "GET") {
        const page = Math.max(1, Number(url.searchParams.get("page")) || 1);
        const perPage = Math.min(1000, Math.max(1, Number(url.searchParams.get("per_page")) || 50));
        const { users: rows, total } = await users.list(page, perPage);
        const last = Math.max(1, Math.ceil(total / perPage));
        const link = (p: number, rel: string) => `</admin/users?page=${p}&per_page=${perPage}>; rel="${rel}"`;
        res.setHeader("x-total-count", String(total));
        res.setHeader("link", [...(page < last ? [link(page + 1, "next")] : []), link(last, "last")].join(", "));
        return { users: await Promise.all(rows.map((u) => users.json(u))), aud: "authenticated" };
      }
      if (req.method === "POST") {
        const body = await readJson(req);
        if (body.phone) throw errors.phoneDisabled();
        if (body.email === undefined) throw errors.validation("Unable to validate email address: invalid format");
        const c = await adminChanges(body);
        const user = await users.create({
          email: c.email!, passwordHash: c.passwordHash ?? null, confirmed: c.confirmEmail,
          userMetadata: c.userMetadata ?? {}, appMetadata: c.appMetadata ?? {}, anonymous: false,
        });
        const withBan = c.bannedUntil !== undefined ? await users.update(user.id, { bannedUntil: c.bannedUntil }) : user;
        return await users.json(withBan);
      }
      throw errors.methodNotAllowed();
    }
    if (!uuidPattern.test(id) || rest !== id) throw errors.notFound();
    const user = await users.byId(id);
    if (!user) throw errors.userNotFound();
    if (req.method === "GET") return await users.json(user);
    if (req.method === "PUT") return await users.json(await users.update(id, await adminChanges(await readJson(req), user)));
    if (req.method === "DELETE") {
      await users.remove(id);
      return {};
    }
    throw errors.methodNotAllowed();
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<Body | undefined> {
    const url = new URL(path, "http://auth.local");
    const route = url.pathname.replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";
    if (route === "/health" && method === "GET") return { name: "GoTrue", description: "pgpod local Auth", version: "local" };
    if (route === "/settings" && method === "GET") {
      return {
        external: { email: true, phone: false, anonymous_users: o.settings.anonymousEnabled },
        disable_signup: !o.settings.signupEnabled,
        mailer_autoconfirm: !o.settings.confirmEmail,
        phone_autoconfirm: false,
      };
    }
    if (route === "/signup" && method === "POST") return await signup(req);
    if (route === "/token" && method === "POST") return await token(req, url.searchParams.get("grant_type"));
    if (route === "/user" && method === "GET") return await users.json((await caller(req)).user);
    if (route === "/user" && method === "PUT") return await updateOwnUser(req);
    if (route === "/logout" && method === "POST") {
      await logout(req, url.searchParams.get("scope"));
      return undefined;
    }
    if (route === "/admin/users" || route.startsWith("/admin/users/")) {
      return await admin(req, res, route.slice("/admin/users".length).replace(/^\//, ""), url);
    }
    throw errors.notFound();
  }

  return {
    async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
      const versioned = req.headers["x-supabase-api-version"] !== undefined;
      try {
        const body = await route(req, res, path);
        if (body === undefined) {
          res.writeHead(204, { "x-supabase-api-version": apiVersion }).end();
          return;
        }
        res.writeHead(200, { "content-type": "application/json", "x-supabase-api-version": apiVersion });
        res.end(JSON.stringify(body));
      } catch (error) {
        if (!(error instanceof AuthError)) {
          o.log(`${req.method} ${path.split("?")[0]} failed: ${(error as Error).stack ?? error}`);
          throw error;
        }
        sendError(res, error, versioned);
      }
    },
    async close(): Promise<void> {
      await sql.end({ timeout: 5 });
    },
  };
}
