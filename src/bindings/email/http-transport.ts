/**
 * The Resend-compatible HTTP transport: POST <PICLOUD_EMAIL_API_URL>/emails with
 * a bearer key and Resend's JSON shape (from, to, cc, bcc, reply_to, subject,
 * text, html, headers, attachments with base64 content). PiCloud's message id
 * is the Idempotency-Key, so a retry after a lost answer does not send twice.
 * 2xx is sent, 429 and 5xx (and no answer) are retried, any other 4xx is final.
 */
import type { DeliverableEmail, EmailTransport, TransportResult } from "./transport.js";
import { shortAnswer, TransportError } from "./transport.js";

const TIMEOUT_MS = 30_000;

export function httpTransport(baseUrl: string, apiKey: string): EmailTransport {
  const endpoint = `${baseUrl.replace(/\/+$/, "")}/emails`;
  return {
    kind: "http",
    async send(m: DeliverableEmail): Promise<TransportResult> {
      const body = {
        from: m.from,
        to: m.to,
        ...(m.cc.length ? { cc: m.cc } : {}),
        ...(m.bcc.length ? { bcc: m.bcc } : {}),
        ...(m.replyTo.length ? { reply_to: m.replyTo } : {}),
        subject: m.subject,
        ...(m.text !== null ? { text: m.text } : {}),
        ...(m.html !== null ? { html: m.html } : {}),
        ...(Object.keys(m.headers).length ? { headers: m.headers } : {}),
        ...(m.attachments.length
          ? {
              attachments: m.attachments.map((a) => ({
                filename: a.filename,
                content: a.bytes.toString("base64"),
                ...(a.contentType ? { content_type: a.contentType } : {}),
              })),
            }
          : {}),
      };
      let res: Response;
      let text: string;
      try {
        res = await fetch(endpoint, {
          method: "POST",
          headers: {
            authorization: `Bearer ${apiKey}`,
            "content-type": "application/json",
            "idempotency-key": m.id,
            "user-agent": "PiCloud",
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        text = await res.text();
      } catch (err) {
        const e = err as Error & { cause?: { code?: string; message?: string } };
        const why =
          e.name === "TimeoutError" ? `no answer within ${TIMEOUT_MS} ms` : (e.cause?.message ?? e.message);
        throw new TransportError(false, shortAnswer(`${endpoint}: ${why}`));
      }
      const answer = shortAnswer(`${res.status} ${text}`);
      if (res.ok) {
        let id: string | null = null;
        try {
          const parsed = JSON.parse(text) as { id?: unknown };
          if (typeof parsed.id === "string") id = shortAnswer(parsed.id, 200);
        } catch {
          /* an acceptance without a JSON body still is one */
        }
        return { serverMessageId: id, answer };
      }
      throw new TransportError(!(res.status === 429 || res.status >= 500), answer);
    },
    close() {},
  };
}
