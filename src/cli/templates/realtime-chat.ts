/** `picloud init --template realtime-chat`: a page that subscribes to a topic, and a route that publishes to it. */
import { commonFiles, type TemplateFiles } from "./common.js";

export function realtimeChatTemplate(slug: string): TemplateFiles {
  return {
    ...commonFiles(slug),
    "picloud.toml": `# A chat room: GET / is the page, POST /messages publishes to the "chat" topic, and every
# open page receives it over Server-Sent Events at /realtime/topics/chat. Deploy with \`picloud deploy\`.
name = "${slug}"
compatibility_date = "2026-11-01"

[[scripts]]
name = "chat"
main = "src/chat.ts"
routes = ["GET /", "POST /messages"]

# Browsers may subscribe without a token (auth = "token" needs env.pubsub.subscriberToken).
[[topics]]
name = "chat"
external = true
auth = "public"
`,
    "src/chat.ts": `/** GET / → the chat page; POST /messages {name, text} → published to the "chat" topic. */
import { PAGE } from "./page";

export interface Env {
  pubsub: { publish(topic: string, message: unknown): Promise<{ id: string }> };
}

export interface ChatMessage {
  name: string;
  text: string;
}

/** A message from a request body, or the reason it is refused. */
export function parseMessage(body: unknown): ChatMessage | string {
  if (typeof body !== "object" || body === null) return 'send JSON: {"name": "Ada", "text": "hello"}';
  const { name, text } = body as Record<string, unknown>;
  if (typeof text !== "string" || text.trim() === "") return "text must be a non-empty string";
  if (text.length > 1000) return "text must be at most 1000 characters";
  const who = typeof name === "string" && name.trim() ? name.trim().slice(0, 40) : "anonymous";
  return { name: who, text: text.trim() };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method === "GET") return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    const message = parseMessage(await request.json().catch(() => null));
    if (typeof message === "string") return Response.json({ error: message }, { status: 400 });
    const { id } = await env.pubsub.publish("chat", message);
    return Response.json({ id }, { status: 202 });
  },
};
`,
    "src/page.ts": `/** The chat page: an EventSource on the topic, a form that POSTs /messages. */
export const PAGE = \`<!doctype html>
<meta charset="utf-8">
<title>Chat</title>
<style>body{font:16px system-ui;max-width:40rem;margin:2rem auto}li{margin:.2rem 0}</style>
<h1>Chat</h1>
<ul id="log"></ul>
<form id="f"><input id="name" placeholder="name" size="10"> <input id="text" placeholder="message" size="40" autofocus> <button>Send</button></form>
<script>
const log = document.getElementById("log");
const events = new EventSource("/realtime/topics/chat");
events.onmessage = (e) => {
  const { message } = JSON.parse(e.data);
  const li = document.createElement("li");
  li.textContent = message.name + ": " + message.text;
  log.append(li);
};
document.getElementById("f").onsubmit = async (e) => {
  e.preventDefault();
  const text = document.getElementById("text");
  await fetch("/messages", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: document.getElementById("name").value, text: text.value }),
  });
  text.value = "";
};
</script>
\`;
`,
    "test/chat.test.ts": `import { describe, expect, it } from "vitest";
import { parseMessage } from "../src/chat";

describe("chat messages", () => {
  it("keeps a name and a text", () => {
    expect(parseMessage({ name: " Ada ", text: " hi " })).toEqual({ name: "Ada", text: "hi" });
  });

  it("refuses an empty text, and names nobody anonymous", () => {
    expect(parseMessage({ text: "" })).toBe("text must be a non-empty string");
    expect(parseMessage({ text: "hi" })).toEqual({ name: "anonymous", text: "hi" });
  });
});
`,
  };
}
