// Input files the demo's users upload before submitting: a short WAV in the
// user's own folder of pgpod-inputs, uploaded with the user's session the way
// an app's browser client does.
import { randomUUID } from "node:crypto";
import type { SupabaseClient } from "@supabase/supabase-js";

export const inputsBucket = "pgpod-inputs";

/** A mono 16-bit PCM WAV of `seconds` of silence at 8 kHz. */
export function silentWav(seconds: number): Buffer {
  const rate = 8000;
  const data = rate * 2 * seconds;
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + data, 4);
  header.write("WAVEfmt ", 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(data, 40);
  return Buffer.concat([header, Buffer.alloc(data)]);
}

/** Uploads a recording as the client's user; returns its path in pgpod-inputs. */
export async function uploadRecording(client: SupabaseClient, filename: string): Promise<string> {
  const { data } = await client.auth.getSession();
  if (!data.session) throw new Error("the user is not signed in");
  const path = `${data.session.user.id}/inputs/${randomUUID()}-${filename}`;
  const { error } = await client.storage.from(inputsBucket).upload(path, silentWav(1), { contentType: "audio/wav" });
  if (error) throw new Error(`upload of ${filename} to ${inputsBucket} failed: ${error.message}`);
  return path;
}
