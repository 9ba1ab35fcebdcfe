// Users in auth.users and their identities, and the User object GoTrue
// answers with.
import type postgres from "postgres";
import { errors } from "./errors.ts";

export interface UserRow {
  id: string;
  aud: string;
  role: string;
  email: string | null;
  phone: string | null;
  encrypted_password: string | null;
  email_confirmed_at: Date | null;
  confirmed_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Record<string, unknown>;
  raw_user_meta_data: Record<string, unknown>;
  banned_until: Date | null;
  is_anonymous: boolean;
  created_at: Date;
  updated_at: Date;
}

type Json = Record<string, unknown>;

export interface NewUser {
  email: string | null;
  passwordHash: string | null;
  confirmed: boolean;
  userMetadata: Json;
  appMetadata: Json;
  anonymous: boolean;
}

export interface UserChanges {
  email?: string;
  passwordHash?: string;
  confirmEmail?: boolean;
  userMetadata?: Json;
  appMetadata?: Json;
  bannedUntil?: Date | null;
}

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** GoTrue trims and lower-cases addresses before storing or looking them up. */
export function normaliseEmail(value: unknown): string {
  if (typeof value !== "string") throw errors.invalidEmail();
  const email = value.trim().toLowerCase();
  if (!emailPattern.test(email) || email.length > 255) throw errors.invalidEmail();
  return email;
}

export const emailProvider = (email: string | null): Json =>
  email ? { provider: "email", providers: ["email"] } : {};

export class Users {
  constructor(private readonly sql: postgres.Sql) {}

  async byId(id: string): Promise<UserRow | undefined> {
    const [user] = await this.sql<UserRow[]>`select * from auth.users where id = ${id} and deleted_at is null`;
    return user;
  }

  async byEmail(email: string): Promise<UserRow | undefined> {
    const [user] = await this.sql<UserRow[]>`select * from auth.users where email = ${email} and deleted_at is null`;
    return user;
  }

  async create(u: NewUser): Promise<UserRow> {
    return await this.sql.begin(async (tx) => {
      const [user] = await tx<UserRow[]>`
        insert into auth.users (aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data,
                                raw_user_meta_data, is_anonymous)
        values ('authenticated', 'authenticated', ${u.email}, ${u.passwordHash}, ${u.confirmed ? tx`now()` : null},
                ${tx.json({ ...emailProvider(u.email), ...u.appMetadata } as postgres.JSONValue)},
                ${tx.json(u.userMetadata as postgres.JSONValue)}, ${u.anonymous})
        returning *`;
      if (user.email) await this.addEmailIdentity(tx, user);
      return user;
    });
  }

  private async addEmailIdentity(tx: postgres.TransactionSql, user: UserRow) {
    const data = { sub: user.id, email: user.email, email_verified: user.email_confirmed_at !== null, phone_verified: false };
    await tx`
      insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at)
      values (${user.id}, ${user.id}, ${tx.json(data)}, 'email', now())
      on conflict (provider_id, provider) do update set identity_data = excluded.identity_data, updated_at = now()`;
  }

  async update(id: string, c: UserChanges): Promise<UserRow> {
    return await this.sql.begin(async (tx) => {
      const [user] = await tx<UserRow[]>`
        update auth.users set
          email = coalesce(${c.email ?? null}, email),
          encrypted_password = coalesce(${c.passwordHash ?? null}, encrypted_password),
          email_confirmed_at = case when ${c.confirmEmail ?? false} then coalesce(email_confirmed_at, now()) else email_confirmed_at end,
          raw_user_meta_data = raw_user_meta_data || ${tx.json((c.userMetadata ?? {}) as postgres.JSONValue)},
          raw_app_meta_data = raw_app_meta_data || ${tx.json({ ...(c.email ? emailProvider(c.email) : {}), ...c.appMetadata } as postgres.JSONValue)},
          banned_until = case when ${c.bannedUntil !== undefined} then ${c.bannedUntil ?? null}::timestamptz else banned_until end,
          -- an anonymous user who gains an address becomes a permanent one
          is_anonymous = is_anonymous and ${c.email ?? null}::text is null,
          updated_at = now()
        where id = ${id} and deleted_at is null
        returning *`;
      if (!user) throw errors.userNotFound();
      if (c.email || c.confirmEmail) await this.addEmailIdentity(tx, user);
      return user;
    });
  }

  async signedIn(id: string): Promise<UserRow> {
    const [user] = await this.sql<UserRow[]>`
      update auth.users set last_sign_in_at = now(), updated_at = now() where id = ${id} returning *`;
    return user;
  }

  async list(page: number, perPage: number): Promise<{ users: UserRow[]; total: number }> {
    const users = await this.sql<UserRow[]>`
      select * from auth.users where deleted_at is null
      order by created_at, id limit ${perPage} offset ${(page - 1) * perPage}`;
    const [{ total }] = await this.sql<{ total: number }[]>`
      select count(*)::int as total from auth.users where deleted_at is null`;
    return { users, total };
  }

  async remove(id: string): Promise<boolean> {
    const deleted = await this.sql`delete from auth.users where id = ${id}`;
    return deleted.count > 0;
  }

  /** The User object of GoTrue's responses. */
  async json(user: UserRow): Promise<Json> {
    const identities = await this.sql`
      select id as identity_id, provider_id as id, user_id, identity_data, provider, last_sign_in_at,
             created_at, updated_at, email
      from auth.identities where user_id = ${user.id} order by created_at`;
    const at = (d: Date | null) => d?.toISOString();
    return {
      id: user.id,
      aud: user.aud,
      role: user.role,
      email: user.email ?? "",
      email_confirmed_at: at(user.email_confirmed_at),
      phone: user.phone ?? "",
      confirmed_at: at(user.confirmed_at),
      last_sign_in_at: at(user.last_sign_in_at),
      app_metadata: user.raw_app_meta_data,
      user_metadata: user.raw_user_meta_data,
      identities: identities.map((i) => ({
        ...i,
        last_sign_in_at: at(i.last_sign_in_at),
        created_at: at(i.created_at),
        updated_at: at(i.updated_at),
      })),
      created_at: at(user.created_at),
      updated_at: at(user.updated_at),
      is_anonymous: user.is_anonymous,
    };
  }
}
