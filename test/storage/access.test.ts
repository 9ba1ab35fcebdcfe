// Owner-only access decided by RLS policies on storage.objects, and the signed
// URLs that hand out access without a login.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import type { StorageClient } from "@supabase/storage-js";
import { Tokens } from "../../local/storage/tokens.ts";
import { type StorageHarness, dropBuckets, startStorage, uniqueBucket } from "./harness.ts";

let h: StorageHarness;
let service: StorageClient;
let alice: StorageClient;
let bob: StorageClient;
let anon: StorageClient;
const aliceId = crypto.randomUUID();
const bobId = crypto.randomUUID();
const bucket = uniqueBucket("access");
const policy = (action: string) => `${bucket} owner ${action}`;

beforeAll(async () => {
  h = await startStorage();
  service = await h.serviceClient();
  alice = await h.userClient(aliceId);
  bob = await h.userClient(bobId);
  anon = await h.anonClient();
  await service.createBucket(bucket, { public: false });
  const ownPrefix = h.sql.unsafe(`bucket_id = '${bucket}' and (storage.foldername(name))[1] = (select auth.uid()::text)`);
  await h.sql`create policy ${h.sql(policy("select"))} on storage.objects for select to authenticated using (${ownPrefix})`;
  await h.sql`create policy ${h.sql(policy("insert"))} on storage.objects for insert to authenticated with check (${ownPrefix})`;
  await h.sql`create policy ${h.sql(policy("update"))} on storage.objects for update to authenticated using (${ownPrefix}) with check (${ownPrefix})`;
  await h.sql`create policy ${h.sql(policy("delete"))} on storage.objects for delete to authenticated using (${ownPrefix})`;
});
afterAll(async () => {
  for (const action of ["select", "insert", "update", "delete"]) {
    await h.sql`drop policy if exists ${h.sql(policy(action))} on storage.objects`;
  }
  await dropBuckets(h.sql, [bucket]);
  await h.close();
});

describe("owner-only access through RLS", () => {
  it("lets a user write and read only under their own prefix", async () => {
    const mine = alice.from(bucket);
    const up = await mine.upload(`${aliceId}/photo.txt`, "alice's");
    expect(up.error).toBeNull();
    const [row] = await h.sql`select owner, owner_id from storage.objects where id = ${up.data!.id}`;
    expect(row).toEqual({ owner: aliceId, owner_id: aliceId });

    const before = await h.files();
    const intrusion = await mine.upload(`${bobId}/planted.txt`, "not yours");
    expect(intrusion.error).toMatchObject({ status: 400, statusCode: "403", message: expect.stringContaining("row-level security") });
    expect(await h.files()).toEqual(before);

    expect(await (await mine.download(`${aliceId}/photo.txt`)).data!.text()).toBe("alice's");
    expect((await mine.list(aliceId)).data!.map((e) => e.name)).toEqual(["photo.txt"]);
    expect((await mine.upload(`${aliceId}/photo.txt`, "replaced", { upsert: true })).error).toBeNull();
  });

  it("hides other users' objects from every operation", async () => {
    await alice.from(bucket).upload(`${aliceId}/private.txt`, "private");
    const theirs = bob.from(bucket);
    expect((await theirs.download(`${aliceId}/private.txt`)).error).toMatchObject({ statusCode: "404" });
    expect((await theirs.info(`${aliceId}/private.txt`)).error).toMatchObject({ statusCode: "404" });
    expect((await theirs.list(aliceId)).data).toEqual([]);
    expect((await theirs.list()).data).toEqual([]);
    expect((await theirs.createSignedUrl(`${aliceId}/private.txt`, 60)).error).toMatchObject({ statusCode: "404" });
    const many = await theirs.createSignedUrls([`${aliceId}/private.txt`], 60);
    expect(many.data).toEqual([
      expect.objectContaining({ path: `${aliceId}/private.txt`, signedURL: null, error: expect.any(String) }),
    ]);
    expect((await theirs.remove([`${aliceId}/private.txt`])).data).toEqual([]);
    expect((await theirs.move(`${aliceId}/private.txt`, `${bobId}/stolen.txt`)).error).toMatchObject({ statusCode: "404" });
    expect((await theirs.copy(`${aliceId}/private.txt`, `${bobId}/stolen.txt`)).error).toMatchObject({ statusCode: "404" });
    expect((await theirs.upload(`${aliceId}/private.txt`, "overwrite", { upsert: true })).error).toMatchObject({ statusCode: "403" });
    expect((await anon.from(bucket).download(`${aliceId}/private.txt`)).error).toMatchObject({ statusCode: "404" });
    expect((await anon.from(bucket).upload(`${aliceId}/anon.txt`, "x")).error).toMatchObject({ statusCode: "403" });

    expect(await (await alice.from(bucket).download(`${aliceId}/private.txt`)).data!.text()).toBe("private");
    expect((await alice.from(bucket).remove([`${aliceId}/private.txt`])).data).toHaveLength(1);
  });

  it("lets an owner move and copy inside their prefix only", async () => {
    const mine = alice.from(bucket);
    await mine.upload(`${aliceId}/m.txt`, "m");
    expect((await mine.move(`${aliceId}/m.txt`, `${bobId}/m.txt`)).error).toMatchObject({ statusCode: "403" });
    expect((await mine.copy(`${aliceId}/m.txt`, `${bobId}/m.txt`)).error).toMatchObject({ statusCode: "403" });
    expect((await mine.move(`${aliceId}/m.txt`, `${aliceId}/n.txt`)).error).toBeNull();
    expect((await mine.copy(`${aliceId}/n.txt`, `${aliceId}/o.txt`)).error).toBeNull();
    expect((await mine.list(aliceId)).data!.map((e) => e.name)).toEqual(expect.arrayContaining(["n.txt", "o.txt"]));
  });

  it("refuses requests without a valid token", async () => {
    const url = `${h.url}/storage/v1/object/${bucket}/${aliceId}/photo.txt`;
    const missing = await fetch(url);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ statusCode: "400", message: expect.stringContaining("authorization") });
    const forged = await new SignJWT({ role: "service_role" }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("another-secret"));
    const wrongKey = await h.client(forged).from(bucket).download(`${aliceId}/photo.txt`);
    expect(wrongKey.error).toMatchObject({ status: 400, statusCode: "403", message: "invalid signature" });
    const expired = await h.client(await h.sign({ role: "service_role" }, "-1s")).listBuckets();
    expect(expired.error).toMatchObject({ statusCode: "403", message: "jwt expired" });
    expect((await h.client("not.a.jwt").listBuckets()).error).toMatchObject({ statusCode: "403", message: "jwt malformed" });
    const superuser = await h.client(await h.sign({ role: "postgres" })).from(bucket).download(`${aliceId}/photo.txt`);
    expect(superuser.error).toMatchObject({ statusCode: "403", message: 'role "postgres" is not allowed' });
  });
});

describe("signed URLs", () => {
  it("serve downloads until they expire, for exactly the signed path", async () => {
    await alice.from(bucket).upload(`${aliceId}/signed.txt`, "signed bytes");
    await alice.from(bucket).upload(`${aliceId}/other.txt`, "other bytes");
    const { data } = await alice.from(bucket).createSignedUrl(`${aliceId}/signed.txt`, 60, { download: true });
    expect(data!.signedUrl).toMatch(new RegExp(`^${h.url}/storage/v1/object/sign/${bucket}/${aliceId}/signed.txt\\?token=.+&download=$`));
    const ok = await fetch(data!.signedUrl);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("signed bytes");
    // `download: true` sends ?download= with no name: the real server names no file.
    expect(ok.headers.get("content-disposition")).toBe("attachment;");
    const named = await alice.from(bucket).createSignedUrl(`${aliceId}/signed.txt`, 60, { download: "report 1.txt" });
    expect((await fetch(named.data!.signedUrl)).headers.get("content-disposition")).toBe(
      "attachment; filename=report%201.txt; filename*=UTF-8''report%201.txt;",
    );
    expect((await fetch(data!.signedUrl.replace(/&download=$/, ""))).headers.get("content-disposition")).toBeNull();

    const otherPath = await fetch(data!.signedUrl.replace("signed.txt", "other.txt"));
    expect(await otherPath.json()).toMatchObject({ statusCode: "400", message: "The url do not match the signature" });
    const token = new URL(data!.signedUrl).searchParams.get("token")!;
    const [head, payload, sig] = token.split(".");
    const forgedPayload = Buffer.from(JSON.stringify({ url: `${bucket}/${aliceId}/other.txt`, exp: 9999999999 })).toString("base64url");
    const tampered = await fetch(data!.signedUrl.replace(token, `${head}.${forgedPayload}.${sig}`));
    expect(await tampered.json()).toMatchObject({ statusCode: "403", message: "invalid signature" });
    expect(payload).not.toBe(forgedPayload);

    const urls = await alice.from(bucket).createSignedUrls([`${aliceId}/signed.txt`, `${aliceId}/other.txt`], 60);
    expect(await (await fetch(urls.data![1]!.signedUrl!)).text()).toBe("other bytes");

    const short = await alice.from(bucket).createSignedUrl(`${aliceId}/signed.txt`, 1);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const late = await fetch(short.data!.signedUrl);
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ statusCode: "403", message: "jwt expired" });
    expect((await alice.from(bucket).createSignedUrl(`${aliceId}/signed.txt`, 0)).error).toMatchObject({ status: 400 });
  });

  it("let a third party upload once to the signed path, honouring the token's upsert flag", async () => {
    const path = `${aliceId}/from-worker.txt`;
    expect((await bob.from(bucket).createSignedUploadUrl(path)).error).toMatchObject({ statusCode: "403" });
    const signed = await alice.from(bucket).createSignedUploadUrl(path);
    expect(signed.data).toMatchObject({ path, token: expect.any(String) });
    expect(signed.data!.signedUrl).toContain(`/storage/v1/object/upload/sign/${bucket}/${path}?token=`);

    const worker = anon.from(bucket);
    const up = await worker.uploadToSignedUrl(path, signed.data!.token, "worker output", { contentType: "text/plain" });
    expect(up.data).toEqual({ path, fullPath: `${bucket}/${path}` });
    const [row] = await h.sql`select owner_id from storage.objects where bucket_id = ${bucket} and name = ${path}`;
    expect(row!.owner_id).toBe(aliceId);
    const again = await worker.uploadToSignedUrl(path, signed.data!.token, "second");
    expect(again.error).toMatchObject({ statusCode: "409", code: "KeyAlreadyExists" });
    expect((await worker.uploadToSignedUrl(`${aliceId}/elsewhere.txt`, signed.data!.token, "x")).error).toMatchObject({
      statusCode: "400",
      message: "The url do not match the signature",
    });

    const upsertToken = (await alice.from(bucket).createSignedUploadUrl(path, { upsert: true })).data!.token;
    expect((await worker.uploadToSignedUrl(path, upsertToken, "replaced")).error).toBeNull();
    expect(await (await alice.from(bucket).download(path)).data!.text()).toBe("replaced");

    const payload = JSON.parse(Buffer.from(upsertToken.split(".")[1]!, "base64url").toString());
    expect(payload.exp - payload.iat).toBe(7200);
    // A download token is no upload grant, and an upload token no download grant.
    const downloadToken = new URL((await alice.from(bucket).createSignedUrl(path, 60)).data!.signedUrl).searchParams.get("token")!;
    expect((await worker.uploadToSignedUrl(path, downloadToken, "x")).error).toMatchObject({ statusCode: "400" });
    const viaUploadToken = await fetch(`${h.url}/storage/v1/object/sign/${bucket}/${path}?token=${upsertToken}`);
    expect(viaUploadToken.status).toBe(400);
  });

  it("refuse an expired, tampered or foreign upload token and store nothing", async () => {
    const path = `${aliceId}/refused.txt`;
    const worker = anon.from(bucket);
    const filesBefore = await h.files();
    const refused = async (token: string) => {
      const res = await fetch(`${h.url}/storage/v1/object/upload/sign/${bucket}/${path}?token=${token}`, {
        method: "PUT",
        headers: { "content-type": "text/plain" },
        body: "should not land",
      });
      return { status: res.status, body: await res.json() };
    };

    // Signed the way the server signs its upload grants, with the right secret, but already expired.
    const expired = await new Tokens(h.secret).signUpload({ url: `${bucket}/${path}`, owner: aliceId, upsert: true }, -1);
    expect((await worker.uploadToSignedUrl(path, expired, "late")).error).toMatchObject({ statusCode: "403", message: "jwt expired" });
    expect(await refused(expired)).toEqual({ status: 400, body: { statusCode: "403", code: "InvalidJWT", error: "Unauthorized", message: "jwt expired" } });

    // A genuine token for another path, its payload rewritten to this path with upsert; the signature no longer matches.
    const genuine = (await alice.from(bucket).createSignedUploadUrl(`${aliceId}/granted.txt`)).data!.token;
    const [header, , signature] = genuine.split(".");
    const forgedPayload = Buffer.from(JSON.stringify({ url: `${bucket}/${path}`, owner: aliceId, upsert: true, exp: 9999999999 })).toString("base64url");
    const tampered = `${header}.${forgedPayload}.${signature}`;
    expect((await worker.uploadToSignedUrl(path, tampered, "forged")).error).toMatchObject({ statusCode: "403", message: "invalid signature" });
    expect((await refused(tampered)).body).toMatchObject({ statusCode: "403", message: "invalid signature" });

    const foreign = await new Tokens("another-secret-0123456789abcdef").signUpload({ url: `${bucket}/${path}`, owner: aliceId, upsert: false }, 60);
    expect((await refused(foreign)).body).toMatchObject({ statusCode: "403", message: "invalid signature" });
    expect((await refused("not.a.jwt")).body).toMatchObject({ statusCode: "403", message: "jwt malformed" });

    expect(await h.sql`select 1 from storage.objects where bucket_id = ${bucket} and name = ${path}`).toHaveLength(0);
    expect(await h.files()).toEqual(filesBefore);
  });
});
