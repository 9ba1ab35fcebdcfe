// The reference app (index.html) and the local ops page (ops.html), built
// with Vite. Settings come at run time from /pgpod-config.json, which the
// server started by `npm run app` (or the browser tests) answers; see server.ts.
import { fileURLToPath } from "node:url";
import { defaultClientConditions, defineConfig } from "vite";

const page = (name: string) => fileURLToPath(new URL(`./${name}.html`, import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  // "source" resolves the workspace's @pgpod/client to its TypeScript sources.
  resolve: { conditions: ["source", ...defaultClientConditions] },
  build: {
    target: "es2022",
    rolldownOptions: { input: { app: page("index"), ops: page("ops") } },
  },
  clearScreen: false,
});
