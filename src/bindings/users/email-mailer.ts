/**
 * Sends the end-user flow mails through the app's outbound e-mail (the same
 * queue, limits and allowed senders as `env.email.send`). Composed in
 * server/services.ts so the users binding does not import the email binding.
 * A flow mail has no script behind it: its records carry the nil script id.
 */
import type { OutgoingEmail } from "../email/message.js";
import type { UserMailer } from "./service.js";

export const NO_SCRIPT = "00000000-0000-0000-0000-000000000000";

type Send = (
  ctx: {
    appId: string;
    executionId: string;
    rootExecutionId: string;
    depth: number;
    scriptId: string;
    principalUserId: null;
  },
  m: OutgoingEmail,
) => Promise<{ id: string }>;

export function emailMailer(send: Send, newId: () => string): UserMailer {
  return {
    async send(appId, mail) {
      const id = newId();
      await send(
        { appId, executionId: id, rootExecutionId: id, depth: 0, scriptId: NO_SCRIPT, principalUserId: null },
        {
          from: mail.from,
          to: [mail.to],
          cc: [],
          bcc: [],
          replyTo: [],
          subject: mail.subject,
          text: mail.text,
          html: null,
          headers: {},
          attachments: [],
        },
      );
    },
  };
}
