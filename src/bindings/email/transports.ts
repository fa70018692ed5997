/** The operator's choice of outbound transport (PICLOUD_SMTP_URL or PICLOUD_EMAIL_API_URL), or none. */
import type { EmailConfig } from "../../config/env.js";
import { httpTransport } from "./http-transport.js";
import { smtpTransport } from "./smtp-transport.js";
import type { EmailTransport } from "./transport.js";

export function emailTransport(config: EmailConfig): EmailTransport | null {
  const t = config.transport;
  if (!t) return null;
  return t.kind === "smtp"
    ? smtpTransport(t.url, { maxConnections: config.concurrency })
    : httpTransport(t.url, t.apiKey);
}
