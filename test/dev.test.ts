/**
 * `picloud dev` end to end, as a user runs it in a project made by `picloud init`:
 * it serves the project, a saved edit is served by the next request, a broken
 * edit prints the file and line while the last good version keeps serving,
 * each request prints a line, and Ctrl-C ends the process (nothing left behind).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { childProcessEnv } from "../src/config/testing.js";
import { CLI_ENTRY, loopbackFetch, runCli } from "../src/testing/daemon.js";

/** Waits (bounded) until `read()` holds a line matching `pattern` after position `from`. */
async function waitForOutput(
  read: () => string,
  pattern: RegExp,
  from = 0,
  timeoutMs = 60_000,
): Promise<string> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; ) {
    const hit = read().slice(from).match(pattern);
    if (hit) return hit[0];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no output matched ${pattern}:\n${read()}`);
}

describe("picloud dev", () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "picloud-dev-"));
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  });

  it("serves the project, redeploys on save, keeps the last good version on a syntax error, stops on Ctrl-C", async () => {
    expect((await runCli(["init", "devapp"], {}, undefined, { cwd: root })).code).toBe(0);
    const dir = path.join(root, "devapp");
    child = spawn(process.execPath, [CLI_ENTRY, "dev", "--port", "0"], {
      cwd: dir,
      env: childProcessEnv(dir),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => {
      out += d;
    });
    child.stderr!.on("data", (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));

    await waitForOutput(() => out, /✓ deployed \(start\): \+ app devapp/);
    const port = Number(out.match(/app devapp: http:\/\/devapp\.localhost:(\d+)/)![1]);
    const hello = async (name: string) =>
      (
        (await (await loopbackFetch(`http://devapp.localhost:${port}/hello/${name}`)).json()) as {
          message: string;
        }
      ).message;
    expect(await hello("Ada")).toBe("Hello, Ada!");
    // One line per request: method, path, status, ms.
    await waitForOutput(() => out, /GET \/hello\/Ada 200 \d+ ms/);

    // Save an edit: the next deploy serves it.
    const source = path.join(dir, "src/index.ts");
    const good = readFileSync(source, "utf8");
    let mark = out.length;
    const edited = good.replace("Response.json({ message: greet(", 'Response.json({ message: "v2 " + greet(');
    expect(edited).not.toBe(good);
    writeFileSync(source, edited);
    await waitForOutput(
      () => out,
      /✓ deployed \(src[\\/]index\.ts changed\): ~ script hello \(version 2\)/,
      mark,
    );
    expect(await hello("Ada")).toBe("v2 Hello, Ada!");

    // A syntax error: the file and line are printed, and version 2 keeps serving.
    mark = err.length;
    writeFileSync(source, `${good}\nexport const broken = ;\n`);
    await waitForOutput(() => err, /✗ not deployed/, mark);
    await waitForOutput(() => err, /src[\\/]index\.ts:\d+:\d+: /, mark);
    expect(await hello("Bo")).toBe("v2 Hello, Bo!");

    // Ctrl-C: the process ends by itself, with code 0.
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    await expect(loopbackFetch(`http://devapp.localhost:${port}/hello/Ada`)).rejects.toThrow();
  }, 180_000);
});
