// The running local stack, as seen by integration tests. `npm test` exports
// these variables; run against your own stack with
// `set -a; eval "$(npm run -s stack -- env)"; set +a; npx vitest`.
import postgres from "postgres";
import { z } from "zod";

const schema = z.object({
  SUPABASE_URL: z.string().url(),
  SUPABASE_DB_URL: z.string().min(1),
  SUPABASE_ANON_KEY: z.string().min(1),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1),
  JWT_SECRET: z.string().min(1),
  RUNPOD_EMULATOR_URL: z.string().url(),
  RUNPOD_API_KEY: z.string().min(1),
  PGPOD_DISPATCH_SECRET: z.string().min(1),
  PGPOD_WEBHOOK_SECRET: z.string().min(1),
  PGPOD_STATE_DIR: z.string().min(1),
});

export type Stack = z.infer<typeof schema>;

export function stack(): Stack {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const missing = parsed.error.issues.map((i) => i.path.join(".")).join(", ");
    throw new Error(
      `integration tests need a running local stack (missing ${missing}). ` +
        `Run them with "npm test", or: set -a; eval "$(npm run -s stack -- env)"; set +a; npx vitest`,
    );
  }
  return parsed.data;
}

/** A small postgres.js pool on the stack's database, closed by the caller. */
export function db(max = 4) {
  return postgres(stack().SUPABASE_DB_URL, { max, onnotice: () => {} });
}
