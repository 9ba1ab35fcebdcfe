import { archiveConfig } from "../_shared/config.ts";
import { archiveHandler } from "./handler.ts";

Deno.serve(archiveHandler(archiveConfig(Deno.env.toObject())));
