import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vite";

// Built into web/dist; the daemon serves it at /admin (src/server/dashboard.ts).
export default defineConfig({
  root: import.meta.dirname,
  base: "/admin/",
  plugins: [
    svelte({
      // Pages take their app and script as props and are re-created ({#key}) when those change,
      // so reading a prop once at creation is intended.
      onwarn(warning, handler) {
        if (warning.code !== "state_referenced_locally") handler?.(warning);
      },
    }),
  ],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    // No inline data: URLs for assets and no module-preload polyfill: the CSP allows neither inline code nor more than 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
