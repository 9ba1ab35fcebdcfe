import { dispatchConfig } from "../_shared/config.ts";
import { dispatchHandler } from "./handler.ts";

Deno.serve(dispatchHandler(dispatchConfig(Deno.env.toObject())));
