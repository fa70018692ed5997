/**
 * Starts the real daemon (`node dist/src/main.js start`) as a child process on a
 * free port, for whole-daemon tests: the same binary and the same start path a
 * user runs. Needs `npm run build` first (npm test does it).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Agent, fetch as undiciFetch } from "undici";
import { childProcessEnv } from "../config/testing.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI_ENTRY = path.join(REPO_ROOT, "dist/src/main.js");

export interface DaemonProcess {
  /** The admin origin, by IP (admin API, health, metrics; never an app). */
  url: string;
  /** Where an app answers: `http://<slug>.localhost:<port>`; fetch it with `loopbackFetch`. */
  appUrl(slug?: string): string;
  port: number;
  child: ChildProcess;
  dataDir: string;
  /** Every stdout line so far (JSON log lines). */
  logs: string[];
  stderr: string[];
  /** Sends a signal and waits for exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Waits until a log line matches. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

export async function startDaemonProcess(
  env: Record<string, string> = {},
  opts: { dataDir?: string; cwd?: string } = {},
): Promise<DaemonProcess> {
  if (!existsSync(CLI_ENTRY)) throw new Error(`${CLI_ENTRY} is missing: run npm run build`);
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "picloud-daemon-"));
  const child = spawn(process.execPath, [CLI_ENTRY, "start"], {
    cwd: opts.cwd ?? dataDir,
    env: {
      ...childProcessEnv(dataDir),
      PICLOUD_PORT: "0",
      PICLOUD_DATA_DIR: dataDir,
      PICLOUD_LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (into: string[]) => {
    let partial = "";
    return (chunk: Buffer) => {
      partial += chunk.toString("utf8");
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      into.push(...lines.filter(Boolean));
      for (const w of waiters) w();
    };
  };
  child.stdout!.on("data", collect(logs));
  child.stderr!.on("data", collect(stderr));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const waitForLog = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const hit = logs.find((l) => pattern.test(l)) ?? stderr.find((l) => pattern.test(l));
        if (hit) {
          cleanup();
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `no log line matched ${pattern} in ${timeoutMs} ms\nstdout:\n${logs.join("\n")}\nstderr:\n${stderr.join("\n")}`,
          ),
        );
      }, timeoutMs);
      const onExit = () => {
        cleanup();
        reject(
          new Error(
            `daemon exited before ${pattern}\nstdout:\n${logs.join("\n")}\nstderr:\n${stderr.join("\n")}`,
          ),
        );
      };
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off("exit", onExit);
      };
      waiters.add(check);
      child.once("exit", onExit);
      check();
    });

  let ready: { port: number };
  try {
    ready = JSON.parse(await waitForLog(/"PiCloud is ready"/, 60_000)) as { port: number };
  } catch (err) {
    child.kill("SIGKILL"); // never leave a half-started daemon behind
    throw err;
  }
  return {
    url: `http://127.0.0.1:${ready.port}`,
    appUrl: (slug = "default") => `http://${slug}.localhost:${ready.port}`,
    port: ready.port,
    child,
    dataDir,
    logs,
    stderr,
    waitForLog,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      // A daemon that does not finish its graceful shutdown in time is killed: tests never leak processes.
      const force = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const code = await exited;
      clearTimeout(force);
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

type LookupCallback = (
  err: Error | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

// Browsers and curl send *.localhost to loopback; Node's resolver (getaddrinfo) does not.
const loopbackAgent = new Agent({
  connect: {
    lookup: (hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
      if (hostname !== "localhost" && !hostname.endsWith(".localhost"))
        return callback(new Error(`loopbackFetch reaches only *.localhost, not ${hostname}`), []);
      if (options.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
      else callback(null, "127.0.0.1", 4);
    },
  },
});

/** `fetch` that reaches `http://<app>.localhost:<port>` on this machine, as a browser or curl would. */
export function loopbackFetch(url: string, init?: Parameters<typeof undiciFetch>[1]) {
  return undiciFetch(url, { ...init, dispatcher: loopbackAgent });
}

/** Runs the `picloud` CLI once and collects its output; `opts.cwd` is its working directory (for picloud.toml). */
export function runCli(
  args: string[],
  env: Record<string, string>,
  input?: string,
  opts: { cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      cwd: opts.cwd,
      env: { ...childProcessEnv(), ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.stdin.end(input ?? "");
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The first owner the whole-daemon tests create (through PICLOUD_ADMIN_EMAIL/PASSWORD). */
export const ADMIN = {
  PICLOUD_ADMIN_EMAIL: "owner@example.com",
  PICLOUD_ADMIN_PASSWORD: "owner password 123",
};

/** Logs in as ADMIN over the admin API and returns the session's Cookie header value. */
export async function adminCookie(adminUrl: string): Promise<string> {
  const res = await fetch(`${adminUrl}/api/v1/admin/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: ADMIN.PICLOUD_ADMIN_EMAIL, password: ADMIN.PICLOUD_ADMIN_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie()[0]!.split(";")[0]!;
}

/** `picloud login` as ADMIN with the CLI environment `env` (its config dir and URL); throws when it fails. */
export async function loginAsAdmin(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const login = await runCli(
    ["login", "--email", ADMIN.PICLOUD_ADMIN_EMAIL, "--password-stdin"],
    env,
    ADMIN.PICLOUD_ADMIN_PASSWORD,
  );
  if (login.code !== 0) throw new Error(`picloud login failed (${login.code}): ${login.stderr}`);
  return login;
}
