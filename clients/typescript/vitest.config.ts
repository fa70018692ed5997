import { defineConfig } from "vitest/config";

// Project "client" of the root vitest workspace: `npx vitest run --project client`.
// Files needing a DOM opt in with a `@vitest-environment happy-dom` comment.
export default defineConfig({
  test: {
    name: "client",
    include: ["src/**/*.test.ts"],
    environment: "node",
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
