/** The `picloud init` templates: name → the files of a new project for an app slug. */
import type { TemplateFiles } from "./common.js";
import { emailInboxTemplate } from "./email-inbox.js";
import { helloTemplate } from "./hello.js";
import { honoTemplate } from "./hono.js";
import { realtimeChatTemplate } from "./realtime-chat.js";

export const TEMPLATES: Record<string, { describe: string; files: (slug: string) => TemplateFiles }> = {
  hello: { describe: "one TypeScript handler with two routes and a var", files: helloTemplate },
  hono: { describe: "a Hono app (npm install first)", files: honoTemplate },
  "realtime-chat": { describe: "a chat page over a realtime topic", files: realtimeChatTemplate },
  "email-inbox": { describe: "incoming mail stored in env.docs and listed", files: emailInboxTemplate },
};
