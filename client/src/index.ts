// @pgpod/client: submit, watch and wait for pgpod jobs, and get their files,
// through a supabase-js client signed in as the user.
export { pgpod } from "./client.ts";
export * from "./errors.ts";
export type { Database, Json } from "../../supabase/database.types.ts";
export type {
  AnyEndpoints,
  DefaultOutput,
  EndpointMap,
  EndpointName,
  EndpointSpec,
  FileUrlOptions,
  ImageTransform,
  Input,
  Job,
  JobFile,
  JobFileUrl,
  JobPage,
  JobRef,
  JobStatus,
  JobView,
  JobWithFiles,
  JsonObject,
  ListOptions,
  PgpodClient,
  SubmitOptions,
  SucceededJob,
  SupabaseClientLike,
  TerminalStatus,
  Unsubscribe,
  WaitOptions,
  WatchFilter,
  WatchOptions,
} from "./types.ts";
