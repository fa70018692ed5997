import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "picloud",
          include: ["src/**/*.test.ts", "runtime/**/*.test.ts", "test/**/*.test.ts"],
          globalSetup: ["src/testing/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      "clients/typescript",
    ],
  },
});
