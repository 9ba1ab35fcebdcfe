// The local Auth server through supabase-js's own auth client: what an app
// does to sign users up and in, and what the service role does to manage them.
import { decodeJwt } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { anonClient, serviceClient, signedUpUser, uniqueEmail } from "../support/clients.ts";
import { db, stack } from "../support/stack.ts";

const env = stack();
const sql = db(2);
afterAll(() => sql.end({ timeout: 5 }));

const authUrl = `${env.SUPABASE_URL}/auth/v1`;

describe("email and password users", () => {
  it("signs up auto-confirmed with a session whose token carries Supabase's claims", async () => {
    const client = anonClient();
    const email = uniqueEmail("signup");
    const { data, error } = await client.auth.signUp({ email: email.toUpperCase(), password: "correct horse", options: { data: { name: "Ada" } } });
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ email, aud: "authenticated", role: "authenticated", is_anonymous: false, user_metadata: { name: "Ada" } });
    expect(data.user!.email_confirmed_at).toBeTruthy();
    expect(data.user!.app_metadata).toEqual({ provider: "email", providers: ["email"] });
    expect(data.session).toMatchObject({ token_type: "bearer", expires_in: 3600 });
    const claims = decodeJwt(data.session!.access_token);
    expect(claims).toMatchObject({
      sub: data.user!.id, aud: "authenticated", role: "authenticated", email, iss: authUrl,
      aal: "aal1", is_anonymous: false, user_metadata: { name: "Ada" },
    });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(claims.amr).toEqual([{ method: "password", timestamp: expect.any(Number) }]);
    expect(claims.session_id).toMatch(/^[0-9a-f-]{36}$/);
    const [row] = await sql`select encrypted_password, aud, email_confirmed_at from auth.users where id = ${data.user!.id}`;
    expect(row.encrypted_password).toMatch(/^\$2[aby]\$10\$/);
    expect(row.encrypted_password).not.toContain("correct horse");
  });

  it("signs in with the right password and refuses a wrong one or an unknown address", async () => {
    const user = await signedUpUser("signin");
    const client = anonClient();
    const ok = await client.auth.signInWithPassword({ email: user.email, password: user.password });
    expect(ok.error).toBeNull();
    expect(ok.data.user!.id).toBe(user.id);
    expect(ok.data.user!.last_sign_in_at).toBeTruthy();

    for (const attempt of [{ email: user.email, password: "wrong password" }, { email: uniqueEmail("nobody"), password: user.password }]) {
      const bad = await anonClient().auth.signInWithPassword(attempt);
      expect(bad.data.session).toBeNull();
      expect(bad.error).toMatchObject({ status: 400, code: "invalid_credentials", message: "Invalid login credentials" });
    }
  });

  it("refuses a second sign-up for the same address, a short password and a malformed address", async () => {
    const user = await signedUpUser("dupe");
    const again = await anonClient().auth.signUp({ email: user.email, password: "another one" });
    expect(again.error).toMatchObject({ status: 422, code: "user_already_exists", message: "User already registered" });
    const short = await anonClient().auth.signUp({ email: uniqueEmail("short"), password: "123" });
    expect(short.error).toMatchObject({ status: 422, code: "weak_password", name: "AuthWeakPasswordError", reasons: ["length"] });
    const malformed = await anonClient().auth.signUp({ email: "not-an-address", password: "long enough" });
    expect(malformed.error).toMatchObject({ status: 400, code: "validation_failed" });
    const [{ count }] = await sql`select count(*)::int from auth.users where email = 'not-an-address'`;
    expect(count).toBe(0);
  });

  it("reads and updates the signed-in user", async () => {
    const { client, id, email } = await signedUpUser("me");
    const got = await client.auth.getUser();
    expect(got.data.user).toMatchObject({ id, email });
    const updated = await client.auth.updateUser({ data: { plan: "pro" }, password: "a new password" });
    expect(updated.error).toBeNull();
    expect(updated.data.user!.user_metadata).toEqual({ plan: "pro" });
    await client.auth.signOut();
    const again = await anonClient().auth.signInWithPassword({ email, password: "a new password" });
    expect(again.error).toBeNull();
  });

  it("answers GET /user without a token, or with a forged one, as GoTrue does", async () => {
    const none = await anonClient().auth.getUser("");
    expect(none.error).not.toBeNull();
    const headers = { apikey: env.SUPABASE_ANON_KEY, "x-supabase-api-version": "2024-01-01" };
    const missing = await fetch(`${authUrl}/user`, { headers });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ code: "no_authorization", message: "This endpoint requires a valid Bearer token" });
    const forged = await fetch(`${authUrl}/user`, { headers: { ...headers, authorization: `Bearer ${env.SUPABASE_ANON_KEY.slice(0, -4)}AAAA` } });
    expect(forged.status).toBe(403);
    expect((await forged.json()).code).toBe("bad_jwt");
    const legacy = await fetch(`${authUrl}/user`);
    expect(await legacy.json()).toEqual({ code: 401, error_code: "no_authorization", msg: "This endpoint requires a valid Bearer token" });
  });
});

describe("refresh tokens", () => {
  it("rotates on every refresh and keeps the session", async () => {
    const { client } = await signedUpUser("rotate");
    const first = (await client.auth.getSession()).data.session!;
    const { data, error } = await client.auth.refreshSession();
    expect(error).toBeNull();
    expect(data.session!.refresh_token).not.toBe(first.refresh_token);
    expect(decodeJwt(data.session!.access_token).session_id).toBe(decodeJwt(first.access_token).session_id);
    const [old] = await sql`select revoked from auth.refresh_tokens where token = ${first.refresh_token}`;
    expect(old.revoked).toBe(true);
  });

  it("gives a token reused within the reuse interval the session's current one", async () => {
    const { client } = await signedUpUser("race");
    const first = (await client.auth.getSession()).data.session!;
    const next = (await client.auth.refreshSession()).data.session!;
    const again = await anonClient().auth.refreshSession({ refresh_token: first.refresh_token });
    expect(again.error).toBeNull();
    expect(again.data.session!.refresh_token).toBe(next.refresh_token);
  });

  it("refuses a token reused after the interval and ends the whole session", async () => {
    const { client } = await signedUpUser("reuse");
    const first = (await client.auth.getSession()).data.session!;
    const next = (await client.auth.refreshSession()).data.session!;
    // The token was revoked longer ago than the interval (10 s in config.toml).
    await sql`update auth.refresh_tokens set updated_at = now() - interval '1 minute' where token = ${first.refresh_token}`;
    const stolen = await anonClient().auth.refreshSession({ refresh_token: first.refresh_token });
    expect(stolen.data.session).toBeNull();
    expect(stolen.error).toMatchObject({ status: 400, code: "refresh_token_already_used", message: "Invalid Refresh Token: Already Used" });
    // The legitimate holder's newer token is revoked with it, and is refused in turn once the interval passes.
    const [current] = await sql`select revoked from auth.refresh_tokens where token = ${next.refresh_token}`;
    expect(current.revoked).toBe(true);
    await sql`update auth.refresh_tokens set updated_at = now() - interval '1 minute' where token = ${next.refresh_token}`;
    const holder = await anonClient().auth.refreshSession({ refresh_token: next.refresh_token });
    expect(holder.error).toMatchObject({ status: 400, code: "refresh_token_already_used" });
  });

  it("refuses an unknown refresh token", async () => {
    const { error } = await anonClient().auth.refreshSession({ refresh_token: "no-such-token" });
    expect(error).toMatchObject({ status: 400, code: "refresh_token_not_found", message: "Invalid Refresh Token: Refresh Token Not Found" });
  });
});

describe("anonymous users and sign-out", () => {
  it("signs in anonymously as an authenticated user with is_anonymous set", async () => {
    const client = anonClient();
    const { data, error } = await client.auth.signInAnonymously();
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ is_anonymous: true, role: "authenticated", email: "" });
    expect(decodeJwt(data.session!.access_token)).toMatchObject({ role: "authenticated", is_anonymous: true, amr: [{ method: "anonymous" }] });
    const [row] = await sql`select is_anonymous, email from auth.users where id = ${data.user!.id}`;
    expect(row).toEqual({ is_anonymous: true, email: null });
  });

  it("turns an anonymous user permanent when they add an address", async () => {
    const client = anonClient();
    await client.auth.signInAnonymously();
    const email = uniqueEmail("convert");
    const { data, error } = await client.auth.updateUser({ email });
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ email, is_anonymous: false });
  });

  it("signs out: the session's refresh token and access token stop working", async () => {
    const { client } = await signedUpUser("logout");
    const session = (await client.auth.getSession()).data.session!;
    const res = await fetch(`${authUrl}/logout?scope=global`, {
      method: "POST",
      headers: { apikey: env.SUPABASE_ANON_KEY, authorization: `Bearer ${session.access_token}`, "x-supabase-api-version": "2024-01-01" },
    });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    const user = await fetch(`${authUrl}/user`, { headers: { authorization: `Bearer ${session.access_token}`, "x-supabase-api-version": "2024-01-01" } });
    expect(user.status).toBe(403);
    expect((await user.json()).code).toBe("session_not_found");
    // which supabase-js reports as a missing session
    expect((await anonClient().auth.getUser(session.access_token)).error?.name).toBe("AuthSessionMissingError");
    const refresh = await anonClient().auth.refreshSession({ refresh_token: session.refresh_token });
    expect(refresh.error).toMatchObject({ code: "refresh_token_not_found" });
    // supabase-js's own signOut succeeds against an ended session too.
    expect((await client.auth.signOut()).error).toBeNull();
  });
});

describe("admin user endpoints", () => {
  it("create, read, list, update and delete users with the service role", async () => {
    const admin = serviceClient().auth.admin;
    const email = uniqueEmail("admin");
    const created = await admin.createUser({ email, password: "made by admin", email_confirm: true, user_metadata: { team: "gpu" }, app_metadata: { tier: "gold" } });
    expect(created.error).toBeNull();
    const id = created.data.user!.id;
    expect(created.data.user).toMatchObject({ email, user_metadata: { team: "gpu" }, app_metadata: { provider: "email", tier: "gold" } });
    expect((await admin.getUserById(id)).data.user!.email).toBe(email);
    const listed = await admin.listUsers({ page: 1, perPage: 1000 });
    expect(listed.error).toBeNull();
    expect(listed.data.users.map((u) => u.id)).toContain(id);
    const updated = await admin.updateUserById(id, { user_metadata: { team: "cpu" } });
    expect(updated.data.user!.user_metadata).toEqual({ team: "cpu" });
    expect((await anonClient().auth.signInWithPassword({ email, password: "made by admin" })).error).toBeNull();
    expect((await admin.deleteUser(id)).error).toBeNull();
    expect((await admin.getUserById(id)).error).toMatchObject({ status: 404, code: "user_not_found" });
  });

  it("keeps a user created without email_confirm from signing in until confirmed", async () => {
    const admin = serviceClient().auth.admin;
    const email = uniqueEmail("unconfirmed");
    const { data } = await admin.createUser({ email, password: "not yet confirmed" });
    const early = await anonClient().auth.signInWithPassword({ email, password: "not yet confirmed" });
    expect(early.error).toMatchObject({ status: 400, code: "email_not_confirmed" });
    await admin.updateUserById(data.user!.id, { email_confirm: true });
    expect((await anonClient().auth.signInWithPassword({ email, password: "not yet confirmed" })).error).toBeNull();
  });

  it("refuses the admin endpoints to the anon key and to users", async () => {
    const anon = await anonClient().auth.admin.listUsers();
    expect(anon.error).toMatchObject({ status: 403, code: "not_admin" });
    const { client } = await signedUpUser("notadmin");
    const token = (await client.auth.getSession()).data.session!.access_token;
    const res = await fetch(`${authUrl}/admin/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-supabase-api-version": "2024-01-01" },
      body: JSON.stringify({ email: uniqueEmail("sneaky"), password: "whatever1" }),
    });
    expect(res.status).toBe(403);
    expect((await res.json()).code).toBe("not_admin");
  });
});
