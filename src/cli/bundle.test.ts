import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BundleError, bundleScript } from "./bundle.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "picloud-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), text);
}

// An npm package with a build per platform, as many have: the worker build must win.
write(
  "node_modules/greeter/package.json",
  JSON.stringify({
    name: "greeter",
    version: "1.0.0",
    type: "module",
    exports: { ".": { workerd: "./worker.js", node: "./node.js", default: "./default.js" } },
  }),
);
write(
  "node_modules/greeter/worker.js",
  'export const greet = (n) => "hello " + n + " from the worker build";\n',
);
write("node_modules/greeter/node.js", 'import fs from "node:fs";\nexport const greet = () => fs;\n');
write("node_modules/greeter/default.js", "export const greet = () => 'default build';\n");
// A package that only has a "browser" field (no exports map).
write(
  "node_modules/old-style/package.json",
  JSON.stringify({ name: "old-style", main: "./main.js", browser: "./browser.js" }),
);
write("node_modules/old-style/main.js", "module.exports = { where: 'main' };\n");
write("node_modules/old-style/browser.js", "module.exports = { where: 'browser' };\n");

/** Evaluates a bundle the way the sandbox would (an ES module), here in Node, and calls its fetch. */
async function run(source: string, url = "http://x/"): Promise<string> {
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`)) as {
    default: { fetch(r: Request, env: unknown): Response | Promise<Response> };
  };
  return (await mod.default.fetch(new Request(url), { NAME: "env" })).text();
}

async function bundleError(entry: string, opts: { modules?: string[] } = {}): Promise<BundleError> {
  try {
    await bundleScript(entry, { projectDir: dir, ...opts });
  } catch (err) {
    if (err instanceof BundleError) return err;
    throw err;
  }
  throw new Error("expected the bundle to fail");
}

describe("bundling a script", () => {
  it("bundles TypeScript with npm imports into one ES module that runs", async () => {
    write(
      "src/api.ts",
      `import { greet } from "greeter";
import old from "old-style";
import { label } from "./label.js";
interface Env { NAME: string }
export default {
  fetch(request: Request, env: Env): Response {
    const who: string = new URL(request.url).searchParams.get("who") ?? "nobody";
    return new Response(\`\${greet(who)} / \${old.where} / \${label(env.NAME)}\`);
  },
};
`,
    );
    write("src/label.ts", 'export const label = (s: string): string => "[" + s + "]";\n');
    const source = await bundleScript("src/api.ts", { projectDir: dir });
    expect(source).not.toMatch(/^import /m);
    expect(source).toContain("export {");
    expect(await run(source, "http://x/?who=pi")).toBe("hello pi from the worker build / browser / [env]");
  });

  it("minifies on request", async () => {
    const plain = await bundleScript("src/api.ts", { projectDir: dir });
    const small = await bundleScript("src/api.ts", { projectDir: dir, minify: true });
    expect(small.length).toBeLessThan(plain.length);
    expect(await run(small, "http://x/?who=pi")).toBe("hello pi from the worker build / browser / [env]");
  });

  it("leaves imports of the app's module scripts for the server to link", async () => {
    write(
      "src/uses-lib.ts",
      'import { slugify } from "lib/text";\nexport default { fetch: () => new Response(slugify("A B")) };\n',
    );
    const source = await bundleScript("src/uses-lib.ts", { projectDir: dir, modules: ["lib/text"] });
    expect(source).toMatch(/import \{ slugify \} from "lib\/text"/);
  });

  it.each([
    ['import fs from "node:fs";\nexport default { fs };', "node:fs", 1, 16],
    ['import { join } from "path";\nexport default { join };', "path", 1, 22],
    ['const x = 1;\nexport { createHash } from "crypto";', "crypto", 2, 28],
  ])("refuses a Node built-in import (%s) naming it and where", async (code, name, line, column) => {
    write("src/node.ts", `${code}\n`);
    const err = await bundleError("src/node.ts");
    expect(err.problems).toEqual([
      `src/node.ts:${line}:${column}: "${name}" is a Node.js built-in module: scripts run in a sandbox with Web APIs (fetch, crypto, URL…) and env bindings, not Node APIs`,
    ]);
    expect(err.message).toContain("cannot bundle src/node.ts:");
  });

  it("says where a syntax error is (file:line:column)", async () => {
    write("src/broken.ts", "export default {\n  fetch() {\n    return new Response(;\n  },\n};\n");
    const err = await bundleError("src/broken.ts");
    expect(err.problems).toEqual(['src/broken.ts:3:25: Unexpected ";"']);
  });

  it("names a package that is not installed", async () => {
    write("src/missing.ts", 'import x from "not-installed-pkg";\nexport default x;\n');
    const err = await bundleError("src/missing.ts");
    expect(err.problems).toEqual([
      'src/missing.ts:1:15: Could not resolve "not-installed-pkg" (is the package installed? npm imports resolve from node_modules next to the project)',
    ]);
  });

  it("names an entry file that does not exist", async () => {
    const err = await bundleError("src/nope.ts");
    expect(err.problems.join("\n")).toContain("nope.ts");
  });
});
