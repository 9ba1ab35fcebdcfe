// Sessions and their rotating refresh tokens (auth.sessions,
// auth.refresh_tokens, auth.mfa_amr_claims). Each refresh revokes the token it
// used and issues a child. A revoked token presented again within the reuse
// interval gets the session's current token (two tabs refreshing at once);
// later, it is taken as stolen: the whole session's tokens are revoked.
import { randomUUID } from "node:crypto";
import type postgres from "postgres";
import { errors } from "./errors.ts";
import { newRefreshToken, type SignInMethod } from "./tokens.ts";

export interface Session {
  sessionId: string;
  userId: string;
  refreshToken: string;
  method: SignInMethod;
  /** Unix seconds of the sign-in that started the session. */
  signedInAt: number;
}

export type LogoutScope = "global" | "local" | "others";

export class Sessions {
  constructor(
    private readonly sql: postgres.Sql,
    private readonly reuseIntervalS: number,
  ) {}

  async start(userId: string, method: SignInMethod, userAgent: string | undefined): Promise<Session> {
    const sessionId = randomUUID();
    const refreshToken = newRefreshToken();
    const signedInAt = await this.sql.begin(async (tx) => {
      await tx`insert into auth.sessions (id, user_id, user_agent) values (${sessionId}, ${userId}, ${userAgent ?? null})`;
      const [claim] = await tx<{ at: number }[]>`
        insert into auth.mfa_amr_claims (session_id, authentication_method) values (${sessionId}, ${method})
        returning extract(epoch from created_at)::bigint::int as at`;
      await tx`
        insert into auth.refresh_tokens (token, user_id, revoked, session_id)
        values (${refreshToken}, ${userId}, false, ${sessionId})`;
      return claim.at;
    });
    return { sessionId, userId, refreshToken, method, signedInAt };
  }

  async refresh(token: string): Promise<Session> {
    const outcome = await this.sql.begin(async (tx) => {
      const [used] = await tx<{ session_id: string; user_id: string; revoked: boolean; reusable: boolean }[]>`
        select rt.session_id, s.user_id, rt.revoked,
               rt.updated_at > now() - make_interval(secs => ${this.reuseIntervalS}) as reusable
        from auth.refresh_tokens rt join auth.sessions s on s.id = rt.session_id
        where rt.token = ${token}
        for update of rt`;
      if (!used) return "not found" as const;
      let next: string;
      if (used.revoked) {
        const [current] = await tx<{ token: string }[]>`
          select token from auth.refresh_tokens
          where session_id = ${used.session_id} and parent = ${token} and not revoked`;
        if (!used.reusable || !current) {
          await tx`update auth.refresh_tokens set revoked = true, updated_at = now()
                   where session_id = ${used.session_id} and not revoked`;
          return "reused" as const;
        }
        next = current.token;
      } else {
        next = newRefreshToken();
        await tx`update auth.refresh_tokens set revoked = true, updated_at = now() where token = ${token}`;
        await tx`
          insert into auth.refresh_tokens (token, user_id, revoked, parent, session_id)
          values (${next}, ${used.user_id}, false, ${token}, ${used.session_id})`;
      }
      await tx`update auth.sessions set refreshed_at = now(), updated_at = now() where id = ${used.session_id}`;
      const [claim] = await tx<{ method: SignInMethod; at: number }[]>`
        select authentication_method as method, extract(epoch from created_at)::bigint::int as at
        from auth.mfa_amr_claims where session_id = ${used.session_id} order by created_at limit 1`;
      return { sessionId: used.session_id, userId: used.user_id, refreshToken: next, method: claim.method, signedInAt: claim.at };
    });
    if (outcome === "not found") throw errors.refreshTokenNotFound();
    if (outcome === "reused") throw errors.refreshTokenReused();
    return outcome;
  }

  async exists(sessionId: string): Promise<boolean> {
    const [row] = await this.sql`select 1 from auth.sessions where id = ${sessionId}`;
    return row !== undefined;
  }

  /** Ends sessions; their refresh tokens go with them. */
  async end(userId: string, sessionId: string, scope: LogoutScope): Promise<void> {
    if (scope === "local") await this.sql`delete from auth.sessions where id = ${sessionId}`;
    else if (scope === "others") await this.sql`delete from auth.sessions where user_id = ${userId} and id <> ${sessionId}`;
    else await this.sql`delete from auth.sessions where user_id = ${userId}`;
  }
}
