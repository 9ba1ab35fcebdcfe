// What the README's ```ts examples take as given: a supabase-js client typed
// with supabase/database.types.ts and a signed-in user, that user, a job row
// the app's own result handler and a recording the user made. The docs test type-checks each example as a module against these names only (this
// file is excluded from the repo's tsconfig so no other code sees them).
declare const supabase: import("@supabase/supabase-js").SupabaseClient<import("../../supabase/database.types.js").Database>;
declare const user: import("@supabase/supabase-js").User;
declare const job: {
  id: string;
  status: string;
  output: {
    files: Array<{
      index: number; filename: string; bucket: string; path: string; content_type: string; size: number; sha256: string | null;
      url: string | null; signed_url: string | null;
    }>;
  };
};
declare function showResult(job: unknown): void;
declare const recording: Blob;
