import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  test: {
    include: ["__tests__/**/*.test.ts"],
    setupFiles: ["__tests__/setup.ts"],
    globalSetup: ["__tests__/global-setup.ts"],
    // Terraform plans of every stack are the slowest tests; forks keep each file's memory separate.
    pool: "forks",
    isolate: false,
    // vitest's default leaves one core idle (2 cores -> 1 worker); the offline terraform file and the
    // real-server files wait on child processes much of the time, so both cores are worth a worker.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 300_000,
  },
});
