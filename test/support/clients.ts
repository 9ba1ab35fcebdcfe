// supabase-js clients on the local stack, as an app makes them. Node 20 has no
// global WebSocket, so Realtime gets the `ws` package as its transport.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import WebSocket from "ws";
import { stack } from "./stack.ts";

const env = stack();

export function anonClient(): SupabaseClient {
  return createClient(env.SUPABASE_URL, env.SUPABASE_ANON_KEY, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
}

export function serviceClient(): SupabaseClient {
  return createClient(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
}

/** An address no other test uses. */
export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** A new user signed up through Auth, and a client signed in as them. */
export async function signedUpUser(tag: string): Promise<{ client: SupabaseClient; id: string; email: string; password: string }> {
  const client = anonClient();
  const email = uniqueEmail(tag);
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const { data, error } = await client.auth.signUp({ email, password });
  if (error || !data.user || !data.session) throw new Error(`sign-up failed: ${error?.message ?? "no session"}`);
  return { client, id: data.user.id, email, password };
}
