// The demo's users, signed up and signed in through Auth with supabase-js the
// way an app's users are. Each keeps a client carrying their session, which
// the Data API, Storage and Realtime all see.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import WebSocket from "ws";
import type { StackEnv } from "../../local/stack/config.ts";
import type { Database } from "../../supabase/database.types.ts";
import { demoUsers } from "./scenario.ts";

export interface DemoUser {
  id: string;
  name: string;
  email: string;
  client: SupabaseClient<Database>;
}

const password = (name: string) => `pgpod-demo-${name}-password`;

function anonClient(env: StackEnv): SupabaseClient<Database> {
  return createClient<Database>(env.SUPABASE_URL, env.SUPABASE_ANON_KEY, {
    auth: { persistSession: false, autoRefreshToken: false },
    // Node 20 has no global WebSocket.
    realtime: { transport: WebSocket as never },
  });
}

/**
 * An older demo made its users in SQL, without a password: as an operator
 * would, the service role gives them one.
 */
async function setPassword(env: StackEnv, email: string, name: string): Promise<void> {
  const admin = createClient(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  }).auth.admin;
  const { data, error } = await admin.listUsers({ perPage: 1000 });
  const user = data.users.find((u) => u.email === email);
  if (error || !user) throw new Error(`demo user ${email} exists but cannot be found: ${error?.message ?? "not listed"}`);
  const updated = await admin.updateUserById(user.id, { password: password(name), email_confirm: true });
  if (updated.error) throw new Error(`could not set the password of ${email}: ${updated.error.message}`);
}

async function signIn(env: StackEnv, name: string, email: string): Promise<DemoUser> {
  const client = anonClient(env);
  let session = await client.auth.signInWithPassword({ email, password: password(name) });
  if (session.error?.code === "invalid_credentials") {
    const signUp = await client.auth.signUp({ email, password: password(name), options: { data: { name } } });
    if (signUp.error?.code === "user_already_exists") await setPassword(env, email, name);
    else if (signUp.error) throw new Error(`sign-up of ${email} failed: ${signUp.error.message}`);
    session = await client.auth.signInWithPassword({ email, password: password(name) });
  }
  if (session.error || !session.data.user) throw new Error(`sign-in of ${email} failed: ${session.error?.message ?? "no user"}`);
  return { id: session.data.user.id, name, email, client };
}

/** Signs the demo's users in, signing them up on the first run. */
export async function signInUsers(env: StackEnv): Promise<DemoUser[]> {
  return Promise.all(demoUsers.map((u) => signIn(env, u.name, u.email)));
}

export async function signOutUsers(users: DemoUser[]): Promise<void> {
  await Promise.all(users.map((u) => u.client.auth.signOut({ scope: "local" })));
}
