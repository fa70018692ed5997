/**
 * Debian's Chromium driven by playwright-core, for whole-daemon tests of what a
 * browser does: the flags keep it off the (closed) network and quiet.
 */
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { type Browser, chromium } from "playwright-core";
import { inCi } from "../config/testing.js";

/** Debian's package path; PICLOUD_CHROMIUM points elsewhere (another distribution, a downloaded build). */
export function chromiumPath(env: Record<string, string | undefined> = process.env): string {
  return env.PICLOUD_CHROMIUM || "/usr/bin/chromium";
}

/**
 * Why the browser tests cannot run here, or null when they can. Off CI a machine
 * without Chromium skips them with this reason; under CI=true they always run
 * (and fail loudly if CI lost its Chromium), so a missing browser never hides a regression there.
 */
export function browserSkipReason(
  env: Record<string, string | undefined> = process.env,
  exists: (file: string) => boolean = existsSync,
): string | null {
  if (inCi(env)) return null;
  const file = chromiumPath(env);
  if (exists(file)) return null;
  return `Chromium not found at ${file}: install it (Debian/Ubuntu: sudo apt-get install chromium) or set PICLOUD_CHROMIUM to a Chromium binary`;
}

/**
 * The title of a browser test suite: with the reason appended (and printed once) when it is
 * skipped, so a skip says which browser is missing. Use with `describe.skipIf(skipReason !== null)`.
 */
export function browserSuiteTitle(title: string, skipReason: string | null): string {
  if (!skipReason) return title;
  process.stderr.write(`skipping "${title}": ${skipReason}\n`);
  return `${title} (skipped: ${skipReason})`;
}

/** `extraArgs`: more flags, e.g. `--host-resolver-rules=MAP *.example.com 127.0.0.1`. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      ...extraArgs,
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A TCP port free right now on 127.0.0.1 (for a daemon that must keep its port across a restart). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
