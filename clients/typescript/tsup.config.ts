import { defineConfig, type Options } from "tsup";

// One entry per public subpath; react and svelte stay external (peer dependencies).
export const buildOptions: Options = {
  entry: { index: "src/index.ts", react: "src/react.ts", svelte: "src/svelte.ts" },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
  platform: "neutral",
  external: ["react", "svelte"],
  outDir: "dist",
};

export default defineConfig(buildOptions);
