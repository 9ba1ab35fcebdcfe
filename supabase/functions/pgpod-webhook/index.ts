import { webhookConfig } from "../_shared/config.ts";
import { webhookHandler } from "./handler.ts";

Deno.serve(webhookHandler(webhookConfig(Deno.env.toObject())));
