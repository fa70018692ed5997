/** `picloud init --template email-inbox`: mail to the app is stored as documents and listed over HTTP. */
import { commonFiles, type TemplateFiles } from "./common.js";

export function emailInboxTemplate(slug: string): TemplateFiles {
  return {
    ...commonFiles(slug),
    "picloud.toml": `# An inbox: mail for the addresses below reaches the "inbox" script's email() handler, which
# stores a summary in env.docs; GET /messages lists them. The instance must receive mail
# (PICLOUD_SMTP_LISTEN, see docs/email.md "Receiving mail"). Deploy with \`picloud deploy\`.
name = "${slug}"
compatibility_date = "2026-11-01"

[[scripts]]
name = "inbox"
main = "src/inbox.ts"
routes = ["GET /messages"]

[email]
addresses = ["inbox@${slug}.example.com"]
handler = "inbox"
`,
    "src/inbox.ts": `/** email(): stores each message once (by its id); GET /messages: the newest 50. */

export interface IncomingMail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  attachments: { name: string }[];
}

interface Docs {
  insert(doc: Record<string, unknown>): Promise<string>;
  find(filter: unknown, options?: unknown): Promise<{ items: { id: string; data: Record<string, unknown> }[] }>;
}

export interface Env {
  docs: { collection(name: string): Docs };
}

/** What is kept of a message: enough to list it, not the raw bytes. */
export function summarize(message: IncomingMail): Record<string, unknown> {
  return {
    messageId: message.id,
    from: message.from,
    to: message.to,
    subject: message.subject,
    preview: (message.text ?? "").slice(0, 200),
    attachments: message.attachments.map((a) => a.name),
    receivedAt: new Date().toISOString(),
  };
}

export default {
  async email(message: IncomingMail, env: Env): Promise<void> {
    const inbox = env.docs.collection("inbox");
    // Delivery is at least once: a retried message has the same id, store it once.
    const seen = await inbox.find({ messageId: message.id }, { limit: 1 });
    if (seen.items.length === 0) await inbox.insert(summarize(message));
  },

  async fetch(_request: Request, env: Env): Promise<Response> {
    const page = await env.docs.collection("inbox").find({}, { sort: { receivedAt: -1 }, limit: 50 });
    return Response.json(page.items.map((d) => ({ id: d.id, ...d.data })));
  },
};
`,
    "test/inbox.test.ts": `import { describe, expect, it } from "vitest";
import { summarize } from "../src/inbox";

describe("summarize", () => {
  it("keeps the sender, subject, a preview and attachment names", () => {
    const s = summarize({
      id: "m1",
      from: "ann@example.org",
      to: ["inbox@example.com"],
      subject: "Hi",
      text: "x".repeat(500),
      attachments: [{ name: "a.pdf" }],
    });
    expect(s).toMatchObject({ messageId: "m1", from: "ann@example.org", subject: "Hi", attachments: ["a.pdf"] });
    expect((s.preview as string).length).toBe(200);
  });
});
`,
  };
}
