/** GET /api/hello?name=Ada → a JSON greeting; the greeting word comes from [vars] in picloud.toml. */
import { json } from "./json.js";

interface Env {
  GREETING?: string;
}

export default {
  fetch(request: Request, env: Env): Response {
    const name = new URL(request.url).searchParams.get("name")?.trim() || "world";
    if (name.length > 100) return json({ error: "name must be at most 100 characters" }, 400);
    const greeting = env.GREETING ?? "Hello";
    console.log(`greeting ${name}`);
    return json({ message: `${greeting}, ${name}!`, name });
  },
};
