/** `picloud init --template hello`: one handler, two routes, a var. */
import { commonFiles, type TemplateFiles } from "./common.js";

export function helloTemplate(slug: string): TemplateFiles {
  return {
    ...commonFiles(slug),
    "picloud.toml": `# The app's description: deploy it with \`picloud deploy\` (docs/deploy.md lists every key).
name = "${slug}"
compatibility_date = "2026-11-01"

[vars]
GREETING = "Hello"

[[scripts]]
name = "hello"
main = "src/index.ts"
routes = ["GET /", "GET /hello/:name"]
`,
    "src/index.ts": `/** GET / and GET /hello/:name → {"message": "Hello, <name>!"}; the greeting comes from [vars]. */

export interface Env {
  GREETING?: string;
}

export interface Ctx {
  params?: Record<string, string>;
}

export function greet(greeting: string, name: string): string {
  return \`\${greeting}, \${name}!\`;
}

export default {
  async fetch(request: Request, env: Env, ctx: Ctx): Promise<Response> {
    const name = ctx.params?.name ?? new URL(request.url).searchParams.get("name") ?? "world";
    return Response.json({ message: greet(env.GREETING ?? "Hello", name) });
  },
};
`,
    "test/index.test.ts": `import { describe, expect, it } from "vitest";
import worker, { greet } from "../src/index";

describe("hello", () => {
  it("greets by name", () => {
    expect(greet("Hi", "Ada")).toBe("Hi, Ada!");
  });

  it("answers a request with JSON", async () => {
    const res = await worker.fetch(new Request("http://app.localhost/hello/Ada"), { GREETING: "Hi" }, { params: { name: "Ada" } });
    expect(await res.json()).toEqual({ message: "Hi, Ada!" });
  });
});
`,
  };
}
