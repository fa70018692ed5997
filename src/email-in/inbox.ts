/**
 * The inbox: what the SMTP listener asks before and after DATA. Before, which
 * app (if any) takes a recipient; after, the message is stored once per app
 * with one outbox row per matching `email` trigger, all in one transaction,
 * and only then does the listener answer 250. Later the dispatcher asks for
 * the handler's `message`: parsed here (mailparser, in the main process) from
 * the stored bytes.
 */
import { and, eq, lt } from "drizzle-orm";
import { type AddressObject, simpleParser } from "mailparser";
import type { EventsConfig } from "../config/env.js";
import type { Db } from "../db/client.js";
import { enqueue, type OutboxEntry, type OutboxSignal } from "../events/outbox.js";
import type { IndexedTrigger, TriggerIndex } from "../events/trigger-index.js";
import { uuidv7 } from "../lib/ids.js";
import { toStorableText } from "../lib/storable-text.js";
import { addressPatternMatches } from "./addresses.js";
import type { EmailClaims } from "./claims.js";
import { inboundEmails } from "./schema.js";

/** What an `email_in` outbox row carries: the stored message and the recipients this trigger matched. */
export interface EmailEventPayload {
  source: "email";
  emailId: string;
  to: string[];
}

export interface Envelope {
  /** MAIL FROM ("" for a bounce). */
  mailFrom: string;
  /** Accepted recipients with the app each was routed to. */
  rcptTo: { address: string; appId: string }[];
  remoteAddress: string | null;
}

const MAX_HEADERS = 500;
const MAX_HEADER_VALUE = 64 * 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class Inbox {
  constructor(
    private readonly deps: {
      db: Db;
      claims: EmailClaims;
      triggerIndex: TriggerIndex;
      signal: OutboxSignal;
      events: EventsConfig;
    },
  ) {}

  /** The app that takes mail for `address` (valid, lower-case): it claims it and has an `email` trigger for it. */
  async route(address: string): Promise<string | null> {
    const appId = await this.deps.claims.resolve(address);
    if (!appId) return null;
    const triggers = await this.deps.triggerIndex.of(appId, "email");
    return triggers.some((t) => addressPatternMatches(String(t.config.address ?? "*"), address))
      ? appId
      : null;
  }

  /**
   * Stores `raw` once per app of the envelope and enqueues its deliveries, in one transaction;
   * resolves once committed (the caller may then answer 250). Returns the stored message ids.
   */
  async accept(envelope: Envelope, raw: Uint8Array): Promise<string[]> {
    const { db, triggerIndex, signal, events } = this.deps;
    const byApp = new Map<string, string[]>();
    for (const r of envelope.rcptTo) {
      const list = byApp.get(r.appId) ?? [];
      if (!list.includes(r.address)) list.push(r.address);
      byApp.set(r.appId, list);
    }
    // Read before the transaction: on PGlite (one connection) a query outside an open transaction waits forever.
    const plans: { appId: string; to: string[]; triggers: IndexedTrigger[] }[] = [];
    for (const [appId, to] of byApp)
      plans.push({ appId, to, triggers: await triggerIndex.of(appId, "email") });
    const mailFrom = toStorableText(envelope.mailFrom);
    const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const ids: string[] = [];
    let enqueued = 0;
    await db.transaction(async (tx) => {
      for (const plan of plans) {
        const emailId = uuidv7();
        const entries: OutboxEntry[] = [];
        for (const t of plan.triggers) {
          const to = plan.to.filter((a) => addressPatternMatches(String(t.config.address ?? "*"), a));
          if (to.length === 0) continue;
          const id = uuidv7();
          const payload: EmailEventPayload = { source: "email", emailId, to };
          entries.push({
            id,
            appId: plan.appId,
            kind: "email_in",
            triggerId: t.id,
            scriptId: t.scriptId,
            payload,
            depth: 0,
            rootId: id,
            runAs: t.runAs,
            retry: t.retry,
          });
        }
        // The routes were checked at RCPT TO; a trigger removed since leaves nothing to deliver to.
        if (entries.length === 0) continue;
        await tx.insert(inboundEmails).values({
          id: emailId,
          appId: plan.appId,
          mailFrom,
          rcptTo: plan.to,
          raw: bytes,
          size: raw.byteLength,
          remoteAddress: envelope.remoteAddress,
        });
        await enqueue(tx, entries, events.retry);
        enqueued += entries.length;
        ids.push(emailId);
      }
    });
    if (enqueued > 0) signal.committed();
    return ids;
  }

  /** The `message` of an `email(message, env, ctx)` delivery, or null when the stored message is gone. */
  async message(appId: string, eventId: string, payload: EmailEventPayload): Promise<HandlerMessage | null> {
    const [row] = await this.deps.db
      .select()
      .from(inboundEmails)
      .where(and(eq(inboundEmails.id, payload.emailId), eq(inboundEmails.appId, appId)));
    if (!row) return null;
    return buildMessage(eventId, row.mailFrom, payload.to, row.raw);
  }

  /** Deletes stored messages received before `before` (their deliveries are long over). */
  async sweep(before: Date): Promise<number> {
    const gone = await this.deps.db
      .delete(inboundEmails)
      .where(lt(inboundEmails.receivedAt, before))
      .returning({ id: inboundEmails.id });
    return gone.length;
  }
}

/** What crosses into the sandbox; the guest turns `headers` into a Headers and adds reply()/forward(). */
export interface HandlerMessage {
  id: string;
  from: string;
  to: string[];
  envelope: { from: string; to: string[] };
  replyTo?: string;
  subject: string;
  text?: string;
  html?: string;
  messageId?: string;
  inReplyTo?: string;
  references: string[];
  date?: string;
  headers: [string, string][];
  attachments: {
    name: string;
    type: string;
    size: number;
    bytes: Uint8Array;
    disposition: string;
    contentId?: string;
  }[];
  raw: Uint8Array;
}

const firstAddress = (a: AddressObject | AddressObject[] | undefined): string | undefined =>
  (Array.isArray(a) ? a[0] : a)?.value.find((x) => x.address)?.address?.toLowerCase();

/** A header value the guest's Headers accepts: unfolded, no NUL/CR/LF; non-Latin-1 text as an RFC 2047 word. */
function headerValue(line: string): string {
  const colon = line.indexOf(":");
  let value = line
    .slice(colon + 1)
    .replace(/\r?\n[ \t]+/g, " ")
    .replace(/[\0\r\n]/g, "")
    .trim();
  if (value.length > MAX_HEADER_VALUE) value = value.slice(0, MAX_HEADER_VALUE);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the check is for chars beyond Latin-1
  if (/[^\u0000-\u00ff]/.test(value)) value = `=?UTF-8?B?${Buffer.from(value, "utf8").toString("base64")}?=`;
  return value;
}

/** Parses a stored message (mailparser; HTML is not converted to text, nor text to HTML). */
export async function buildMessage(
  id: string,
  mailFrom: string,
  to: string[],
  raw: Uint8Array,
): Promise<HandlerMessage> {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const parsed = await simpleParser(bytes, {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
    keepCidLinks: true,
  });
  const headers: [string, string][] = [];
  for (const h of parsed.headerLines) {
    if (headers.length >= MAX_HEADERS) break;
    if (TOKEN.test(h.key)) headers.push([h.key, headerValue(h.line)]);
  }
  const references = parsed.references
    ? Array.isArray(parsed.references)
      ? parsed.references
      : parsed.references.split(/\s+/).filter(Boolean)
    : [];
  const message: HandlerMessage = {
    id,
    from: firstAddress(parsed.from) ?? mailFrom,
    to,
    envelope: { from: mailFrom, to },
    subject: parsed.subject ?? "",
    references,
    headers,
    attachments: parsed.attachments.map((a) => ({
      name: a.filename ?? "",
      type: a.contentType ?? "application/octet-stream",
      size: a.content.byteLength,
      // A copy of exactly its bytes: a parser Buffer may be a view of a larger pool.
      bytes: new Uint8Array(a.content),
      disposition: a.contentDisposition ?? "attachment",
      ...(a.contentId ? { contentId: a.contentId } : {}),
    })),
    raw: new Uint8Array(bytes),
  };
  const replyTo = firstAddress(parsed.replyTo);
  if (replyTo) message.replyTo = replyTo;
  if (parsed.text !== undefined) message.text = parsed.text;
  if (typeof parsed.html === "string") message.html = parsed.html;
  if (parsed.messageId) message.messageId = parsed.messageId;
  if (parsed.inReplyTo) message.inReplyTo = parsed.inReplyTo;
  if (parsed.date && !Number.isNaN(parsed.date.getTime())) message.date = parsed.date.toISOString();
  return message;
}
