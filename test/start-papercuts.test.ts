/**
 * How `picloud start` / `npm start` behave for an operator (issue 15 papercuts):
 * a port in use is one clear line and a non-zero exit, SIGTERM to `npm start`
 * stops the daemon itself, and the setup log points where the URL really is.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { childProcessEnv } from "../src/config/testing.js";
import { REPO_ROOT, runCli, startDaemonProcess } from "../src/testing/daemon.js";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), "picloud-start-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Whether a process id is alive (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("picloud start", () => {
  it("exits non-zero with one clear line when the port is in use, before printing a setup URL", async () => {
    const blocker: Server = await new Promise((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => resolve(s));
    });
    const { port } = blocker.address() as { port: number };
    try {
      const dataDir = tempDir();
      const { code, stderr } = await runCli(["start"], {
        PICLOUD_PORT: String(port),
        PICLOUD_DATA_DIR: dataDir,
        PICLOUD_DEPLOY_ON_START: "off",
        HOME: dataDir,
      });
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(
        `error: cannot listen on 127.0.0.1:${port}: the port is already in use (another PiCloud?); stop that process or set PICLOUD_PORT to a free port`,
      );
      expect(stderr).not.toContain("PiCloud setup:");
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it("logs where the setup URL is printed (stderr), not 'below'", async () => {
    const daemon = await startDaemonProcess({});
    try {
      const warning = await daemon.waitForLog(/no admin user yet/);
      expect(warning).toContain("'PiCloud setup:' line on stderr");
      expect(warning).not.toContain("below");
    } finally {
      await daemon.stop();
    }
  }, 60_000);
});

describe("npm start", () => {
  it("stops the daemon when npm receives SIGTERM (no orphaned node process)", async () => {
    const dataDir = tempDir();
    const npm = spawn("npm", ["start", "--silent"], {
      cwd: REPO_ROOT,
      env: {
        ...childProcessEnv(dataDir),
        PICLOUD_PORT: "0",
        PICLOUD_DATA_DIR: dataDir,
        PICLOUD_DEPLOY_ON_START: "off",
        PICLOUD_LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    npm.stdout.on("data", (d) => {
      out += d;
    });
    const exited = new Promise<void>((resolve) => npm.once("exit", () => resolve()));
    // The daemon's pid is in its ready log line (pino writes the pid of the node process).
    const daemonPid = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line:\n${out}`)), 60_000);
      npm.stdout.on("data", () => {
        const line = out.split("\n").find((l) => l.includes('"PiCloud is ready"'));
        if (line) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { pid: number }).pid);
        }
      });
    });
    try {
      npm.kill("SIGTERM");
      await exited;
      // The daemon shuts down gracefully; wait for it (bounded), never assert how long it took.
      const until = Date.now() + 30_000;
      while (alive(daemonPid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(alive(daemonPid)).toBe(false);
    } finally {
      if (alive(daemonPid)) process.kill(daemonPid, "SIGKILL");
    }
  }, 120_000);
});
