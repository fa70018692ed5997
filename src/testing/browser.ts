/**
 * Debian's Chromium driven by playwright-core, for whole-daemon tests of what a
 * browser does: the flags keep it off the (closed) network and quiet.
 */
import { createServer } from "node:net";
import { type Browser, chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";

/** `extraArgs`: more flags, e.g. `--host-resolver-rules=MAP *.example.com 127.0.0.1`. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
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
