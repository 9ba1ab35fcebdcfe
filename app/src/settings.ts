// What a page needs to reach the project, fetched at start from the server
// that serves it (see app/server/settings.ts), so one build runs against any stack.
export interface AppSettings {
  supabaseUrl: string;
  anonKey: string;
}

export interface OpsSettings extends AppSettings {
  /** A JWT whose role is pgpod_ops, and when it expires (ISO time). */
  opsToken: string;
  opsTokenExpiresAt: string;
}

export async function fetchSettings<T extends AppSettings>(path: "/pgpod-config.json" | "/pgpod-ops-config.json"): Promise<T> {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: the page must be served by "npm run app"`);
  return (await response.json()) as T;
}
