#!/usr/bin/env node
/**
 * Web Platform Tests runner: runs the `.any.js` files of a local web-platform-tests checkout
 * (a) inside a PiCloud sandbox and (b) with Node's own globals in a `node:vm` context, on the
 * same files, and prints subtests passed per directory for both.
 *
 *   npm run build
 *   node test/wpt/run.mjs <wpt-dir> [subdir…] [--json out.json] [--timeout ms] [--verbose]
 *
 * Not part of `npm test`. Each file gets the testharness.js of the checkout, its
 * `// META: script=` includes, and `done()` at the end (as WPT's worker wrappers do).
 * Files whose `// META: global=` names no worker, shadowrealm or jsshell scope are skipped
 * (they need a window). `fetch()` of a file next to the test (e.g. url/resources/*.json) is
 * served from the checkout in both environments; any other fetch goes to the network as usual.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import vm from "node:vm";

const DEFAULT_DIRS = [
  "encoding",
  "url",
  "fetch/api/headers",
  "dom/abort",
  "html/webappapis/atob",
  "html/webappapis/structured-clone",
];
const SCOPES_WE_RUN = /^(worker|dedicatedworker|sharedworker|serviceworker|shadowrealm.*|jsshell)$/;
/** Data files a test may fetch, served by the shim (bytes in all, per file). */
const MAX_SERVED = 4 * 1024 * 1024;

// ---- command line ----
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const flagged = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
};
const jsonOut = option("--json", undefined);
const fileTimeout = Number(option("--timeout", "15000"));
const verbose = flagged("--verbose");
const only = option("--only", undefined); // "picloud" or "node"
const [wptDir, ...subdirs] = args;
if (!wptDir || !existsSync(join(wptDir, "resources", "testharness.js"))) {
  console.error(
    "usage: node test/wpt/run.mjs <wpt-dir> [subdir…] [--json out.json] [--timeout ms] [--verbose]",
  );
  console.error("  <wpt-dir> must hold resources/testharness.js");
  process.exit(2);
}
const root = resolve(wptDir);
const dirs = subdirs.length > 0 ? subdirs : DEFAULT_DIRS;

// ---- files and their META ----
function anyFiles(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "resources" && name !== "support") out.push(...anyFiles(path));
    } else if (name.endsWith(".any.js")) out.push(path);
  }
  return out;
}

function meta(source) {
  const scripts = [];
  let globals = ["window", "dedicatedworker"];
  let long = false;
  for (const line of source.split("\n")) {
    const m = /^\/\/\s*META:\s*(\w+)=(.*)$/.exec(line.trim());
    if (!m) {
      if (line.trim() === "" || line.trim().startsWith("//")) continue;
      break;
    }
    const [, key, value] = m;
    if (key === "script") scripts.push(value.trim());
    else if (key === "global") globals = value.split(",").map((g) => g.trim());
    else if (key === "timeout" && value.trim() === "long") long = true;
  }
  return { scripts, globals, long };
}

function includePath(file, script) {
  const path = script.split("?")[0];
  return path.startsWith("/") ? join(root, path) : join(dirname(file), path);
}

/** JSON and text data next to the test (and in its resources/), for the fetch shim, keyed by URL path. */
function servedFiles(file) {
  const out = {};
  let total = 0;
  for (const dir of [dirname(file), join(dirname(file), "resources")]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (!/\.(json|txt)$/.test(name)) continue;
      const path = join(dir, name);
      const size = statSync(path).size;
      if (total + size > MAX_SERVED) continue;
      total += size;
      out[`/${relative(root, path)}`] = readFileSync(path, "utf8");
    }
  }
  return out;
}

/** Everything a file runs, in order, as [name, source] pairs. */
function program(file) {
  const source = readFileSync(file, "utf8");
  const info = meta(source);
  const parts = [];
  for (const script of info.scripts) {
    const path = includePath(file, script);
    if (!existsSync(path)) return { ...info, missing: script };
    parts.push([relative(root, path), readFileSync(path, "utf8")]);
  }
  parts.push([relative(root, file), source]);
  return { ...info, parts };
}

// ---- the code both environments run around the test ----
// Evaluated as a classic script in the tested global: loads testharness (as a shell scope: it
// must not see `self` yet), hooks its callbacks, then defines `self` and runs the test's parts.
// A checkout whose testharness.js predates assert_throws_js/_dom (2020) gets them from its
// assert_throws, so newer test files still run against it.
const HARNESS_HOOK = `
if (typeof assert_throws_js !== "function" && typeof assert_throws === "function") {
  globalThis.assert_throws_js = function (ctor, fn, description) { return assert_throws({ name: ctor.name }, fn, description); };
  globalThis.assert_throws_dom = function (name, a, b, c) { return typeof a === "function" ? assert_throws(name, a, b) : assert_throws(name, b, c); };
}
add_result_callback(function (t) { __wpt.results.push([String(t.name), t.status, t.message == null ? "" : String(t.message)]); });
add_completion_callback(function (tests, status) { __wpt.finish(status && status.status, status && status.message); });
// Asynchronous subtests still running when the file's time limit hits count as TIMEOUT (2).
__wpt.started = [];
["async_test", "promise_test"].forEach(function (kind) {
  var original = globalThis[kind];
  globalThis[kind] = function (func, name) {
    var t = original.apply(this, arguments);
    var named = t && t.name !== undefined ? t.name : typeof func === "string" ? func : name;
    if (named !== undefined) __wpt.started.push(String(named));
    return t;
  };
});
__wpt.timedOut = function () {
  var done = {};
  __wpt.results.forEach(function (r) { done[r[0]] = true; });
  __wpt.started.forEach(function (name) { if (!done[name]) { done[name] = true; __wpt.results.push([name, 2, "file time limit"]); } });
  return __wpt.results;
};
`;
const GLOBAL_SHIM = `
globalThis.self = globalThis;
globalThis.GLOBAL = { isWindow: function () { return false; }, isWorker: function () { return true; }, isShadowRealm: function () { return false; } };
`;

function fetchShim(served, location) {
  return `(function () {
  var files = ${JSON.stringify(served)};
  var base = ${JSON.stringify(location)};
  var realFetch = globalThis.fetch;
  globalThis.fetch = function (input, init) {
    var url;
    try { url = new URL(typeof input === "string" ? input : input.url, base); } catch (e) { url = null; }
    if (url && url.origin === "http://web-platform.test" && Object.prototype.hasOwnProperty.call(files, url.pathname))
      return Promise.resolve(new Response(files[url.pathname], { headers: { "content-type": "application/json" } }));
    return realFetch.apply(this, arguments);
  };
})();`;
}

// ---- (a) a PiCloud sandbox ----
async function picloudRunner() {
  const dist = resolve(dirname(new URL(import.meta.url).pathname), "../../dist/runtime");
  if (!existsSync(join(dist, "index.js")))
    throw new Error("dist/runtime is missing: run `npm run build` first");
  const { createSandboxHost } = await import(join(dist, "index.js"));
  const { fetchJob, run } = await import(join(dist, "testing/jobs.js"));
  const host = createSandboxHost({ maxConcurrent: 1 });
  return {
    async run(harness, prog, served, location, limit) {
      const steps = [
        ["testharness.js", harness],
        ["hook", HARNESS_HOOK],
        ["globals", GLOBAL_SHIM],
        ["fetch", fetchShim(served, location)],
        ...prog.parts,
      ];
      // The test's text rides as string literals; `globalThis["…"]` makes the sandbox install every
      // Web global (it would otherwise define only those the module's source names).
      const source = `export default { async fetch() {
  const steps = ${JSON.stringify(steps)};
  const saved = globalThis["self"];
  delete globalThis["self"];
  const outcome = await new Promise((resolve) => {
    const results = [];
    globalThis.__wpt = { results, finish: (status, message) => resolve({ results, status, message }) };
    setTimeout(() => resolve({ results: globalThis.__wpt.timedOut ? globalThis.__wpt.timedOut() : results, status: "timeout", message: "file time limit" }), ${limit});
    try {
      for (const [name, code] of steps) (0, eval)(code + "\\n//# sourceURL=" + name);
      globalThis.done();
    } catch (e) {
      resolve({ results, status: "error", message: String(e && e.name) + ": " + String(e && e.message) + "\\n" + String(e && e.stack) });
    }
  });
  if (saved !== undefined) globalThis["self"] = saved;
  return new Response(JSON.stringify(outcome));
} }`;
      const ran = await run(
        host,
        fetchJob(source, {
          limits: {
            wallTimeMs: limit + 2_000,
            memoryBytes: 256 * 1024 * 1024,
            stackBytes: 1024 * 1024,
            maxResponseBytes: 16 * 1024 * 1024,
            maxLogBytes: 64 * 1024,
          },
        }),
      );
      if (ran.outcome.status !== "ok")
        return { results: [], status: "crash", message: JSON.stringify(ran.outcome).slice(0, 300) };
      return JSON.parse(ran.text);
    },
    dispose: () => host.dispose(),
  };
}

// ---- (b) Node's globals in a vm context ----
function nodeRunner() {
  return {
    async run(harness, prog, served, location, limit) {
      const context = vm.createContext({});
      const own = new Set(vm.runInContext("Object.getOwnPropertyNames(globalThis)", context));
      // Node's Web globals (everything the context does not have of its own: not the ES builtins).
      for (const name of Object.getOwnPropertyNames(globalThis)) {
        if (own.has(name) || name === "global" || name === "process" || name === "require") continue;
        // Accessors (crypto, navigator) check their receiver: copy their value instead.
        const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
        if (descriptor?.get)
          Object.defineProperty(context, name, {
            value: globalThis[name],
            writable: true,
            configurable: true,
          });
        else if (descriptor) Object.defineProperty(context, name, descriptor);
      }
      return await new Promise((resolvePromise) => {
        const results = [];
        let timer;
        const finish = (outcome) => {
          clearTimeout(timer);
          resolvePromise(outcome);
        };
        context.__wpt = { results, finish: (status, message) => finish({ results, status, message }) };
        timer = setTimeout(
          () =>
            finish({
              results: context.__wpt.timedOut ? context.__wpt.timedOut() : results,
              status: "timeout",
              message: "file time limit",
            }),
          limit,
        );
        try {
          const steps = [
            ["testharness.js", harness],
            ["hook", HARNESS_HOOK],
            ["globals", GLOBAL_SHIM],
            ["fetch", fetchShim(served, location)],
            ...prog.parts,
          ];
          for (const [name, code] of steps)
            vm.runInContext(code, context, { filename: name, timeout: limit });
          vm.runInContext("done()", context);
        } catch (e) {
          finish({ results, status: "error", message: String(e?.stack || e) });
        }
      });
    },
    dispose: async () => {},
  };
}

// ---- main ----
const harness = readFileSync(join(root, "resources", "testharness.js"), "utf8");
const runners = [];
if (only !== "node") runners.push(["picloud", await picloudRunner()]);
if (only !== "picloud") runners.push(["node", nodeRunner()]);

const report = { files: [], skipped: [] };
for (const dir of dirs) {
  for (const file of anyFiles(join(root, dir))) {
    const name = relative(root, file);
    const prog = program(file);
    if (!prog.globals.some((g) => SCOPES_WE_RUN.test(g))) {
      report.skipped.push([name, `global=${prog.globals.join(",")}`]);
      continue;
    }
    if (prog.missing) {
      report.skipped.push([name, `missing include ${prog.missing}`]);
      continue;
    }
    const limit = prog.long ? fileTimeout * 2 : fileTimeout;
    const served = servedFiles(file);
    const location = `http://web-platform.test/${name.replace(/\.js$/, ".worker.html")}`;
    const entry = { file: name, dir: dirname(name), runs: {} };
    for (const [label, runner] of runners) {
      const started = Date.now();
      let outcome;
      try {
        outcome = await runner.run(harness, prog, served, location, limit);
      } catch (e) {
        outcome = { results: [], status: "crash", message: String(e?.stack || e) };
      }
      entry.runs[label] = { ...outcome, ms: Date.now() - started };
    }
    report.files.push(entry);
    const line = runners
      .map(([label]) => {
        const r = entry.runs[label];
        const passed = r.results.filter((t) => t[1] === 0).length;
        const note = r.status === 0 || r.status === undefined ? "" : ` [${r.status}]`;
        return `${label} ${passed}/${r.results.length}${note}`;
      })
      .join("  ");
    console.error(`${name}: ${line}`);
    if (verbose)
      for (const [label] of runners) {
        const r = entry.runs[label];
        if (r.message) console.error(`  ${label} harness: ${String(r.message).split("\n")[0]}`);
        for (const [t, status, message] of r.results)
          if (status !== 0) console.error(`  ${label} FAIL ${t}: ${message.split("\n")[0].slice(0, 200)}`);
      }
  }
}
for (const [, runner] of runners) await runner.dispose();

// Subtests of a file: every name either environment reported (a file that dies early in one
// environment still counts the subtests the other one saw).
const table = new Map();
for (const entry of report.files) {
  const row = table.get(entry.dir) ?? { files: 0, subtests: 0, picloud: 0, node: 0 };
  const names = new Set();
  for (const r of Object.values(entry.runs)) for (const [t] of r.results) names.add(t);
  row.files++;
  row.subtests += names.size;
  for (const label of ["picloud", "node"]) {
    const r = entry.runs[label];
    if (r) row[label] += new Set(r.results.filter((t) => t[1] === 0).map((t) => t[0])).size;
  }
  table.set(entry.dir, row);
}
const pct = (n, d) => (d === 0 ? "-" : `${((100 * n) / d).toFixed(1)}%`);
const total = { files: 0, subtests: 0, picloud: 0, node: 0 };
console.log("| directory | files | subtests | PiCloud passed | Node 20 vm passed | PiCloud % | Node vm % |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const [dir, row] of table) {
  for (const k of Object.keys(total)) total[k] += row[k];
  console.log(
    `| ${dir} | ${row.files} | ${row.subtests} | ${row.picloud} | ${row.node} | ${pct(row.picloud, row.subtests)} | ${pct(row.node, row.subtests)} |`,
  );
}
console.log(
  `| **total** | ${total.files} | ${total.subtests} | ${total.picloud} | ${total.node} | ${pct(total.picloud, total.subtests)} | ${pct(total.node, total.subtests)} |`,
);
if (report.skipped.length > 0) {
  console.log(`\nSkipped ${report.skipped.length} file(s):`);
  for (const [name, why] of report.skipped) console.log(`- ${name}: ${why}`);
}
if (jsonOut) {
  const { writeFileSync } = await import("node:fs");
  writeFileSync(jsonOut, JSON.stringify(report, null, 1));
}
process.exit(0);
