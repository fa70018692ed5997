/**
 * The SMTP transport: nodemailer's pooled SMTP client against the operator's
 * relay (PICLOUD_SMTP_URL). smtp:// upgrades with STARTTLS, which is required
 * unless the relay is on loopback (so a password never crosses a network in
 * clear); smtps:// speaks TLS from the first byte. nodemailer options may ride
 * along as query parameters (`?requireTLS=false`, `?tls.rejectUnauthorized=false`).
 * File and URL access are off: attachments are bytes PiCloud hands over, never paths.
 */
import nodemailer from "nodemailer";
import type { DeliverableEmail, EmailTransport, TransportResult } from "./transport.js";
import { shortAnswer, TransportError } from "./transport.js";

interface SmtpError extends Error {
  code?: string;
  command?: string;
  responseCode?: number;
  response?: string;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)$/i;

/**
 * Whether a plain `smtp://` relay must offer STARTTLS before PiCloud logs in or
 * sends: always, unless the relay is on loopback (the credentials and mail never
 * leave the machine). `smtps://` is TLS from the first byte.
 */
export function startTlsRequired(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol.toLowerCase() !== "smtps:" && !LOOPBACK.test(parsed.hostname);
}

export function smtpTransport(url: string, opts: { maxConnections: number }): EmailTransport {
  const transporter = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: opts.maxConnections,
    requireTLS: startTlsRequired(url),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  });
  return {
    kind: "smtp",
    async send(m: DeliverableEmail): Promise<TransportResult> {
      const domain = m.from.slice(m.from.lastIndexOf("@") + 1).replace(/>.*$/, "");
      try {
        const info = await transporter.sendMail({
          // The same Message-ID on every attempt lets receivers drop a duplicate of a retried send.
          messageId: `<${m.id}@${domain}>`,
          from: m.from,
          to: m.to,
          cc: m.cc,
          bcc: m.bcc,
          replyTo: m.replyTo.length > 0 ? m.replyTo : undefined,
          subject: m.subject,
          text: m.text ?? undefined,
          html: m.html ?? undefined,
          headers: m.headers,
          attachments: m.attachments.map((a) => ({
            filename: a.filename,
            content: a.bytes,
            ...(a.contentType ? { contentType: a.contentType } : {}),
          })),
          disableFileAccess: true,
          disableUrlAccess: true,
        });
        const response = String(info.response ?? "");
        const queuedAs = /queued as ([^\s]+)/i.exec(response)?.[1];
        const rejected = (info.rejected ?? []).map(String);
        return {
          serverMessageId: shortAnswer(queuedAs ?? info.messageId ?? "", 200) || null,
          answer: shortAnswer(
            rejected.length > 0 ? `${response} (refused recipients: ${rejected.join(", ")})` : response,
          ),
        };
      } catch (err) {
        throw classify(err as SmtpError);
      }
    },
    close() {
      transporter.close();
    },
  };
}

/**
 * A 5xx answer to the message itself (MAIL FROM, RCPT TO, DATA) is permanent. Anything else —
 * 4xx, no connection, a failed login, a relay without STARTTLS — is about the way to the relay,
 * not the message: retried, so an operator who fixes it loses no mail.
 */
function classify(err: SmtpError): TransportError {
  const code = err.responseCode;
  const aboutMessage =
    err.code === "EENVELOPE" || err.code === "EMESSAGE" || /^(MAIL|RCPT|DATA)/i.test(err.command ?? "");
  const permanent = aboutMessage && typeof code === "number" && code >= 500 && code < 600;
  // The reply alone for the message's own answers; nodemailer's message (with its context) otherwise.
  const answer = shortAnswer((aboutMessage && err.response) || err.message || String(err));
  return new TransportError(permanent, answer);
}
