// The reference app: sign in, submit jobs, watch them live, see the images.
import { createClient, type Session } from "@supabase/supabase-js";
import { element, showMessage } from "./dom.ts";
import { JobList } from "./job-list.ts";
import { byteSize } from "./format.ts";
import { jobsOf, maxArchiveJobs } from "./jobs.ts";
import { fetchSettings, type AppSettings } from "./settings.ts";

const settings = await fetchSettings<AppSettings>("/pgpod-config.json");
const supabase = createClient(settings.supabaseUrl, settings.anonKey);
const api = jobsOf(supabase);
const list = new JobList(element("#jobs"), element("#jobs-empty"), api, element("#viewer"));

let watching: { userId: string; stop: () => void } | null = null;

function showSession(session: Session | null): void {
  element("#auth-view").hidden = session !== null;
  element("#jobs-view").hidden = session === null;
  element("#account").hidden = session === null;
  element("#signed-in-as").textContent = session?.user.email ?? "";
  if (watching && watching.userId !== session?.user.id) {
    watching.stop();
    watching = null;
    list.clear();
    element("#archive-link").hidden = true;
  }
  if (session && !watching) {
    watching = {
      userId: session.user.id,
      stop: api.watchAll((job) => list.update(job), (error) => showMessage(error.message, "error")),
    };
  }
}

// supabase-js calls this on load (INITIAL_SESSION) and on every sign-in, sign-out and refresh;
// the watch starts outside the callback, which must not await Supabase calls itself.
supabase.auth.onAuthStateChange((_event, session) => setTimeout(() => showSession(session)));

element<HTMLFormElement>("#auth-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  const data = new FormData(form);
  const credentials = { email: String(data.get("email")), password: String(data.get("password")) };
  const action = (event.submitter as HTMLButtonElement | null)?.value;
  const { data: answer, error } = action === "sign-up"
    ? await supabase.auth.signUp(credentials)
    : await supabase.auth.signInWithPassword(credentials);
  if (error) return showMessage(error.message, "error");
  if (!answer.session) return showMessage("Check your email to confirm the account, then sign in.");
  showMessage("");
  form.reset();
});

element("#sign-out").addEventListener("click", () => void supabase.auth.signOut());

function onSubmit(selector: string, submit: (data: FormData) => Promise<unknown>): void {
  const form = element<HTMLFormElement>(selector);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = element<HTMLButtonElement>("button", form);
    button.disabled = true;
    try {
      await submit(new FormData(form));
      showMessage("");
    } catch (error) {
      showMessage((error as Error).message, "error");
    } finally {
      button.disabled = false;
    }
  });
}

onSubmit("#image-form", (data) => api.submitImage(String(data.get("prompt"))));
onSubmit("#sleep-form", (data) => api.submitSleep(Number(data.get("seconds"))));
onSubmit("#transcribe-form", async (data) => {
  if (!watching) throw new Error("Sign in first.");
  await api.submitTranscription(watching.userId, data.get("audio") as File);
});

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

// One tar.gz of every finished job's files, made by pgpod-archive; the link is its signed URL.
element<HTMLButtonElement>("#download-all").addEventListener("click", async (event) => {
  const button = event.currentTarget as HTMLButtonElement;
  const link = element<HTMLAnchorElement>("#archive-link");
  const ids = list.withFiles();
  if (ids.length === 0) return showMessage("No finished job has files to download yet.");
  const chosen = ids.slice(0, maxArchiveJobs);
  button.disabled = true;
  link.hidden = true;
  try {
    const archive = await api.archive(chosen);
    link.href = archive.url;
    link.textContent = `Download the archive: ${count(archive.files, "file")} of ${count(chosen.length, "job")}, ${byteSize(archive.size)}`;
    link.hidden = false;
    showMessage(chosen.length < ids.length ? `The archive holds the newest ${chosen.length} of your ${ids.length} finished jobs.` : "");
  } catch (error) {
    showMessage(`Could not make the archive: ${(error as Error).message}`, "error");
  } finally {
    button.disabled = false;
  }
});
