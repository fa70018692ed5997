import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "tsup";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOptions } from "../tsup.config.js";

const run = promisify(execFile);
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
let scratch: string;
let installed: string;

// The package is built (JS only; `npm run build` also emits .d.ts) into
// node_modules/@picloud/client of a scratch folder inside the package, so Node
// resolves it by name through the exports map, and react from the workspace root.
beforeAll(async () => {
  await mkdir(join(packageDir, ".tmp"), { recursive: true });
  scratch = await mkdtemp(join(packageDir, ".tmp", "build-"));
  installed = join(scratch, "node_modules", "@picloud", "client");
  await mkdir(installed, { recursive: true });
  await copyFile(join(packageDir, "package.json"), join(installed, "package.json"));
  const entry = buildOptions.entry as Record<string, string>;
  await build({
    ...buildOptions,
    entry: Object.fromEntries(Object.entries(entry).map(([name, file]) => [name, join(packageDir, file)])),
    outDir: join(installed, "dist"),
    dts: false,
    sourcemap: false,
    silent: true,
    config: false,
    tsconfig: join(packageDir, "tsconfig.json"),
  });
}, 60_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A script for a fresh Node process: serve one JSON route, call it through the built client. */
const probe = (load: string) => `
${load}
const http = require("node:http");
const server = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ path: req.url }));
});
server.listen(0, "127.0.0.1", async () => {
  const client = core.createClient({ baseUrl: "http://127.0.0.1:" + server.address().port });
  const echo = await client.endpoint("GET", "/api/posts/:id")({ id: 7, q: "x" });
  const events = [];
  core.createSseParser({ onEvent: (e) => events.push(e.data) }).feed("data: a\\r\\ndata: b\\n\\n");
  server.close();
  console.log(JSON.stringify({
    echo,
    events,
    error: new core.PicloudError({ status: 418, code: "teapot", message: "t" }) instanceof Error,
    react: [typeof react.useTopic, typeof react.useEndpoint],
    svelte: [typeof svelte.topicStore, typeof svelte.endpointStore],
  }));
});
`;

const expected = {
  echo: { path: "/api/posts/7?q=x" },
  events: ["a\nb"],
  error: true,
  react: ["function", "function"],
  svelte: ["function", "function"],
};

describe("built package", () => {
  it("emits ESM and CJS files for every entry", async () => {
    const files = await readdir(join(installed, "dist"));
    for (const name of ["index", "react", "svelte"]) {
      expect(files).toContain(`${name}.js`);
      expect(files).toContain(`${name}.cjs`);
    }
  });

  it("works when imported as ESM through the exports map", async () => {
    const load = `
import { createRequire } from "node:module";
const require = createRequire(process.cwd() + "/");
const core = await import("@picloud/client");
const react = await import("@picloud/client/react");
const svelte = await import("@picloud/client/svelte");
if (!import.meta.resolve("@picloud/client").endsWith("/dist/index.js")) throw new Error("ESM resolved wrongly");`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", probe(load)], {
      cwd: scratch,
    });
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it("works when required as CJS through the exports map", async () => {
    const load = `
const core = require("@picloud/client");
const react = require("@picloud/client/react");
const svelte = require("@picloud/client/svelte");
if (!require.resolve("@picloud/client").endsWith("/dist/index.cjs")) throw new Error("CJS resolved wrongly");`;
    const { stdout } = await run(process.execPath, ["-e", probe(load)], { cwd: scratch });
    expect(JSON.parse(stdout)).toEqual(expected);
  });
});
