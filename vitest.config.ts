import { defineConfig } from "vitest/config";

// Integration tests share one local stack (started by `npm test`); each test
// file uses its own endpoints, queues and users, so files may run in parallel.
// "source" resolves the workspace's @pgpod/client to its TypeScript sources.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
