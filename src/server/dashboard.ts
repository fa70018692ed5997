/**
 * Serves the dashboard (web/, built by `npm run build` into web/dist) at
 * /admin on the admin origin: hashed files under /admin/assets/ are cached for
 * a year (gzipped for clients that take it), every other GET under /admin is the SPA's index.html (deep links
 * included), never cached, under a strict CSP. Without a built dashboard,
 * /admin/setup still answers with the plain setup page.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { Hono } from "hono";
import type { AdminEnv } from "../auth/http.js";
import { errorBody } from "./errors.js";
import { setupPage } from "./setup-page.js";

/**
 * Scripts and styles only from the admin origin's own files; no inline code, no frames, no other hosts.
 * The one exception: the code editor (CodeMirror) writes its styles into a <style> element, allowed
 * by a nonce made fresh for each page load (index.html carries it in a meta tag for the editor).
 */
export const dashboardCsp = (styleNonce: string) =>
  [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${styleNonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");

const NONCE_PLACEHOLDER = "__PICLOUD_STYLE_NONCE__";

const IMMUTABLE = "public, max-age=31536000, immutable";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".json": "application/json",
  ".map": "application/json",
};

/** web/dist next to the running code: dist/src/server → ../../../web/dist; src/server (tests) → ../../web/dist. */
export function findDashboardDir(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ["../../..", "../.."]) {
    const dir = path.resolve(here, up, "web/dist");
    if (existsSync(path.join(dir, "index.html"))) return dir;
  }
  return null;
}

const securityHeaders = {
  // Assets need no nonce: nothing in a script or style file is inline.
  "content-security-policy": dashboardCsp("none"),
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
};

export function dashboardRoutes(dir: string | null = findDashboardDir()) {
  const app = new Hono<AdminEnv>();
  if (!dir) {
    app.get("/admin/setup", (c) => c.html(setupPage()));
    app.all("/admin/*", (c) =>
      c.json(errorBody("not_found", "the dashboard is not built here: run npm run build"), 404),
    );
    return app;
  }
  const assetsDir = path.join(dir, "assets");
  const cache = new Map<string, { raw: Buffer; gzip: Buffer }>();
  const index = readFileSync(path.join(dir, "index.html"), "utf8");
  const sendIndex = () => {
    const nonce = randomBytes(16).toString("base64");
    return new Response(index.replaceAll(NONCE_PLACEHOLDER, nonce), {
      headers: {
        ...securityHeaders,
        "content-security-policy": dashboardCsp(nonce),
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-cache",
      },
    });
  };

  app.get("/admin/assets/:file", async (c) => {
    const name = c.req.param("file");
    // One plain file name: no separators, no dot-files, nothing outside assets/.
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith(".")) return c.notFound();
    const type = TYPES[path.extname(name)];
    if (!type) return c.notFound();
    let file: { raw: Buffer; gzip: Buffer } | undefined = cache.get(name);
    if (!file) {
      let raw: Buffer;
      try {
        raw = await readFile(path.join(assetsDir, name));
      } catch {
        return c.json(errorBody("not_found", `no dashboard asset ${name}`), 404);
      }
      // Hashed files never change: compressed once, kept (the whole dashboard is well under 1 MiB).
      file = { raw, gzip: gzipSync(raw, { level: 9 }) };
      cache.set(name, file);
    }
    const gzip = /\bgzip\b/.test(c.req.header("accept-encoding") ?? "");
    return c.body(new Uint8Array(gzip ? file.gzip : file.raw), 200, {
      ...securityHeaders,
      "content-type": type,
      "cache-control": IMMUTABLE,
      vary: "accept-encoding",
      ...(gzip ? { "content-encoding": "gzip" } : {}),
    });
  });
  app.all("/admin/assets/*", (c) => c.json(errorBody("not_found", `no dashboard asset ${c.req.path}`), 404));
  app.get("/admin", sendIndex);
  app.get("/admin/*", sendIndex);
  app.all("/admin/*", (c) =>
    c.json(errorBody("not_found", `no dashboard page ${c.req.method} ${c.req.path}`), 404),
  );
  return app;
}
