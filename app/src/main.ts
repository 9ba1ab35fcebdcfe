// The reference app: sign in, submit jobs, watch them live, see the images.
import { createClient, type Session } from "@supabase/supabase-js";
import { element, showMessage } from "./dom.ts";
import { JobList } from "./job-list.ts";
import { jobsOf } from "./jobs.ts";
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
