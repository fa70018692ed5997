import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";

const handler = `import { slugify } from "lib/text";
export default { fetch(req) { return new Response(slugify(new URL(req.url).searchParams.get("t") ?? "")) } }`;
const text = (suffix: string) =>
  `import { clean } from "lib/clean"; export const slugify = (s) => clean(s).toLowerCase().replace(/[^a-z0-9]+/g, "-") + "${suffix}";`;
const clean = `export const clean = (s) => s.trim();`;

describe.each(testDbKinds())("script modules [%s]", (kind) => {
  const h = useHarness(kind);

  it("links a handler to the app's modules (transitively) and runs them", async () => {
    const owner = await h.user("owner");
    const res = await owner.post("/apps/default/deploy", {
      scripts: [
        { name: "api", source: handler, routes: [{ path: "/slug" }] },
        { name: "lib/text", kind: "module", source: text("") },
        { name: "lib/clean", kind: "module", source: clean },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await (await h.http.request("http://default.localhost/slug?t=%20Hello%20World%20")).text()).toBe(
      "hello-world",
    );
    const versions = (await owner.get("/apps/default/scripts/api/versions")).body.versions;
    expect(Object.keys(versions[0].modules).sort()).toEqual(["lib/clean", "lib/text"]);
  });

  it("pins module versions: a module edit reaches a handler only when the handler is deployed again", async () => {
    const owner = await h.user("owner");
    const deployAll = (suffix: string) =>
      owner.post("/apps/default/deploy", {
        scripts: [
          { name: "lib/clean", kind: "module", source: clean },
          { name: "lib/text", kind: "module", source: text(suffix) },
          { name: "api", source: handler, routes: [{ path: "/slug" }] },
        ],
      });
    await deployAll("");
    // Only the module changes, outside a deploy of the handler.
    await owner.post(`/apps/default/scripts/${encodeURIComponent("lib/text")}/versions`, {
      source: text("!"),
    });
    expect(await (await h.http.request("http://default.localhost/slug?t=A")).text()).toBe("a");
    // Deploying the app again relinks the handler: a new version with the same code.
    const again = await deployAll("!");
    expect(again.body.changes).toEqual([
      expect.objectContaining({ action: "update", kind: "script", name: "api", detail: "version 2" }),
    ]);
    expect(await (await h.http.request("http://default.localhost/slug?t=A")).text()).toBe("a!");
    expect((await deployAll("!")).body.changes).toEqual([]);
  });

  it("fails the deploy on a missing module or an import cycle, with the import chain, changing nothing", async () => {
    const owner = await h.user("owner");
    const missing = await owner.post("/apps/default/deploy", {
      scripts: [
        { name: "api", source: handler, routes: [{ path: "/slug" }] },
        { name: "lib/text", kind: "module", source: text("") },
      ],
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toBe(
      'module "lib/clean" not found in this app (import chain: lib/text → lib/clean)',
    );
    const cycle = await owner.post("/apps/default/deploy", {
      scripts: [
        { name: "lib/a", kind: "module", source: `import { b } from "lib/b"; export const a = () => b();` },
        { name: "lib/b", kind: "module", source: `import { a } from "lib/a"; export const b = () => a();` },
      ],
    });
    expect(cycle.status).toBe(400);
    expect(cycle.body.error.message).toBe("import cycle: lib/a → lib/b → lib/a");
    const handlerImport = await owner.post("/apps/default/deploy", {
      scripts: [
        { name: "other", source: "export default { fetch() { return new Response('x') } }" },
        {
          name: "api",
          source: `import x from "other"; export default { fetch() { return new Response(x) } }`,
        },
      ],
    });
    expect(handlerImport.status).toBe(400);
    expect(handlerImport.body.error.message).toContain('"other" is a handler script, not a module');
    const syntax = await owner.post("/apps/default/deploy", {
      scripts: [{ name: "bad", source: "export default { fetch( {" }],
    });
    expect(syntax.status).toBe(400);
    expect(syntax.body.error.message).toMatch(/^script bad does not parse \(bad\.js:1:\d+\)/);
    expect((await owner.get("/apps/default/scripts")).body.scripts).toEqual([]);
  });

  it("refuses to create a version whose imports do not resolve", async () => {
    const owner = await h.user("owner");
    const res = await owner.post("/apps/default/scripts", { name: "api", source: handler });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(
      'module "lib/text" not found in this app (import chain: api → lib/text)',
    );
  });
});
