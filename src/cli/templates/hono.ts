/** `picloud init --template hono`: an unmodified Hono app behind one catch-all route. */
import { commonFiles, type TemplateFiles } from "./common.js";

export function honoTemplate(slug: string): TemplateFiles {
  return {
    ...commonFiles(slug, { hono: "^4.13.19" }),
    "picloud.toml": `# A Hono app: every path goes to one script, Hono routes inside it. Deploy with \`picloud deploy\`
# after \`npm install\` (the CLI bundles hono from node_modules).
name = "${slug}"
compatibility_date = "2026-11-01"

[vars]
GREETING = "Hello"

[[scripts]]
name = "api"
main = "src/index.ts"
routes = ["/*"]
`,
    "src/index.ts": `import { Hono } from "hono";

type Bindings = { GREETING?: string };

const app = new Hono<{ Bindings: Bindings }>();

app.get("/", (c) => c.json({ message: \`\${c.env.GREETING ?? "Hello"} from Hono on PiCloud\` }));
app.get("/books/:id", (c) => c.json({ id: Number(c.req.param("id")), title: \`Book \${c.req.param("id")}\` }));
app.post("/echo", async (c) => c.json(await c.req.json()));

export default app;
`,
    "test/index.test.ts": `import { describe, expect, it } from "vitest";
import app from "../src/index";

describe("the Hono app", () => {
  it("greets with the GREETING var", async () => {
    const res = await app.request("/", {}, { GREETING: "Hi" });
    expect(await res.json()).toEqual({ message: "Hi from Hono on PiCloud" });
  });

  it("reads route parameters", async () => {
    const res = await app.request("/books/2");
    expect(await res.json()).toEqual({ id: 2, title: "Book 2" });
  });
});
`,
  };
}
