/**
 * Outbound e-mail (SPEC §3.7). `send` checks the message, the app's allowed
 * senders and its limits, then stores the message and its outbox row in one
 * transaction and returns at once; the dispatcher hands the row to `deliver`,
 * which calls the operator's transport and records the server's answer.
 * Message content never reaches a log line: only ids, counts and answers do.
 */
import { and, count, desc, eq, gt, lt, ne, type SQL, sql } from "drizzle-orm";
import type { EmailConfig, EventsConfig } from "../../config/env.js";
import { deleteInBatches } from "../../db/batched-delete.js";
import type { Db, DbOrTx } from "../../db/client.js";
import type { DirectDelivery } from "../../events/dispatcher.js";
import { enqueue, type OutboxSignal } from "../../events/outbox.js";
import type { outbox } from "../../events/schema.js";
import { badRequest, notFound } from "../../lib/errors.js";
import { isUuid, uuidv7 } from "../../lib/ids.js";
import type { Logger } from "../../lib/logger.js";
import type { BindingContext } from "../index.js";
import { bareAddress, messageSize, type OutgoingEmail, senderAllowed } from "./message.js";
import { appEmailSettings, type EmailContent, type EmailStatus, emailMessages } from "./schema.js";
import type { EmailTransport } from "./transport.js";
import { TransportError } from "./transport.js";

type OutboxRow = typeof outbox.$inferSelect;

/** Why `send` refused a valid message: shown to the script as `error.code` and the message. */
export class SendRefused extends Error {
  constructor(
    readonly code: "not_configured" | "sender_not_allowed" | "rate_limited" | "too_large",
    message: string,
  ) {
    super(message);
    this.name = "SendRefused";
  }
}

/** The outbox payload of a message: its id only (content stays in email_messages). */
export interface EmailOutboxPayload {
  source: "email_out";
  messageId: string;
}

export interface EmailMessageView {
  id: string;
  status: EmailStatus;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  sizeBytes: number;
  attachments: number | null;
  attempts: number;
  serverMessageId: string | null;
  serverAnswer: string | null;
  scriptId: string;
  executionId: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface EmailSettingsView {
  senders: string[];
  limits: {
    perMinute: number;
    perDay: number;
    /** The app's overrides (null: the instance default applies). */
    override: { perMinute: number | null; perDay: number | null };
  };
  /** Which transport the instance uses, or null when none is configured. */
  transport: "smtp" | "http" | null;
}

type MessageRow = typeof emailMessages.$inferSelect;

function view(r: MessageRow): EmailMessageView {
  return {
    id: r.id,
    status: r.status,
    from: r.from,
    to: r.recipients.to,
    cc: r.recipients.cc,
    bcc: r.recipients.bcc,
    replyTo: r.replyTo,
    subject: r.subject,
    sizeBytes: r.sizeBytes,
    attachments: r.content ? r.content.attachments.length : null,
    attempts: r.attempts,
    serverMessageId: r.serverMessageId,
    serverAnswer: r.serverAnswer,
    scriptId: r.scriptId,
    executionId: r.executionId,
    createdAt: r.createdAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}

/** A counting semaphore: at most `n` messages with the transport at once. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

export class EmailService {
  private readonly slots: Slots;

  constructor(
    private readonly db: Db,
    private readonly signal: OutboxSignal,
    private readonly events: EventsConfig,
    private readonly config: EmailConfig,
    private readonly transport: EmailTransport | null,
    private readonly log: Logger,
    /** Told of each message queued and each delivery attempt's outcome (metrics). */
    private readonly onOutcome: (
      outcome: "queued" | "sent" | "retried" | "failed",
      transport: string,
    ) => void = () => {},
  ) {
    this.slots = new Slots(config.concurrency);
  }

  /** Stores a checked message and its delivery in one transaction; returns its id at once. */
  async send(ctx: BindingContext, m: OutgoingEmail): Promise<{ id: string }> {
    if (!this.transport)
      throw new SendRefused(
        "not_configured",
        "no outbound e-mail transport is configured on this instance: the operator sets PICLOUD_SMTP_URL (an SMTP relay) or PICLOUD_EMAIL_API_URL and PICLOUD_EMAIL_API_KEY (a Resend-compatible API); see docs/email.md",
      );
    const size = messageSize(m);
    if (size > this.config.maxMessageBytes)
      throw new SendRefused(
        "too_large",
        `the message is ${size} bytes (bodies, headers and attachments); the limit is ${this.config.maxMessageBytes}`,
      );
    const settings = await this.settingsRow(ctx.appId);
    const senders = settings?.senders ?? [];
    const from = m.from ?? senders.find((s) => s.includes("@")) ?? null;
    if (from === null)
      throw new SendRefused(
        "sender_not_allowed",
        senders.length === 0
          ? "this app has no allowed senders: list addresses or domains in [email] senders of picloud.toml (or the admin API), then give from"
          : `from is required: this app's senders are domains only (${senders.join(", ")}), so there is no default address`,
      );
    if (!senderAllowed(from, senders))
      throw new SendRefused(
        "sender_not_allowed",
        `from ${bareAddress(from)} is not an allowed sender of this app (allowed: ${senders.length ? senders.join(", ") : "none"}); add it to [email] senders in picloud.toml`,
      );
    const limits = this.limitsOf(settings);
    const id = uuidv7();
    await this.db.transaction(async (tx) => {
      // One sender at a time per app, so two concurrent sends cannot both take the last slot.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`picloud-email:${ctx.appId}`}))`);
      await this.checkLimits(tx, ctx.appId, limits);
      const content: EmailContent = {
        text: m.text,
        html: m.html,
        headers: m.headers,
        attachments: m.attachments.map((a) => ({
          filename: a.filename,
          contentType: a.contentType,
          content: a.bytes.toString("base64"),
        })),
      };
      await tx.insert(emailMessages).values({
        id,
        appId: ctx.appId,
        scriptId: ctx.scriptId,
        executionId: ctx.executionId,
        from,
        recipients: { to: m.to, cc: m.cc, bcc: m.bcc },
        replyTo: m.replyTo,
        subject: m.subject,
        content,
        sizeBytes: size,
      });
      const payload: EmailOutboxPayload = { source: "email_out", messageId: id };
      await enqueue(
        tx,
        [
          {
            appId: ctx.appId,
            kind: "email_out",
            triggerId: null,
            scriptId: ctx.scriptId,
            payload,
            depth: ctx.depth,
            rootId: ctx.rootExecutionId,
            runAs: null,
            retry: {},
          },
        ],
        this.events.retry,
      );
    });
    this.signal.committed();
    this.onOutcome("queued", this.transport.kind);
    this.log.debug({ appId: ctx.appId, messageId: id, executionId: ctx.executionId }, "e-mail queued");
    return { id };
  }

  private limitsOf(settings: typeof appEmailSettings.$inferSelect | undefined) {
    return {
      perMinute: settings?.perMinute ?? this.config.perMinute,
      perDay: settings?.perDay ?? this.config.perDay,
    };
  }

  private async checkLimits(tx: DbOrTx, appId: string, limits: { perMinute: number; perDay: number }) {
    // One query for both windows (index on app_id, created_at): the day's rows include the minute's.
    const [counts] = await tx
      .select({
        minute: sql<number>`count(*) filter (where ${emailMessages.createdAt} > now() - interval '1 minute')`,
        day: count(),
      })
      .from(emailMessages)
      .where(and(eq(emailMessages.appId, appId), gt(emailMessages.createdAt, sql`now() - interval '1 day'`)));
    if (Number(counts!.minute) >= limits.perMinute)
      throw new SendRefused(
        "rate_limited",
        `this app may send ${limits.perMinute} messages per minute and has reached it (429): try again in a minute`,
      );
    if (Number(counts!.day) >= limits.perDay)
      throw new SendRefused(
        "rate_limited",
        `this app may send ${limits.perDay} messages per 24 hours and has reached it (429); an instance admin can raise the app's limit`,
      );
  }

  /** The outbox's delivery of kind `email_out`: sends one stored message through the transport. */
  readonly deliver: DirectDelivery = async (row: OutboxRow) => {
    const { messageId } = row.payload as EmailOutboxPayload;
    const [msg] = await this.db
      .select()
      .from(emailMessages)
      .where(and(eq(emailMessages.appId, row.appId), eq(emailMessages.id, messageId)));
    // Gone with its app, or already sent (a replayed dead letter, a lease taken over): nothing to do.
    if (!msg || msg.status === "sent") return { error: null };
    if (!msg.content) return { error: "the message's content is gone", permanent: true };
    if (!this.transport) {
      await this.record(msg.id, {
        attempts: sql`${emailMessages.attempts} + 1`,
        serverAnswer: "no transport",
      });
      return {
        error: "no outbound e-mail transport is configured (PICLOUD_SMTP_URL or PICLOUD_EMAIL_API_URL)",
      };
    }
    const transport = this.transport;
    const c = msg.content;
    try {
      const result = await this.slots.run(async () => {
        // A wait for a slot longer than the outbox lease lets the row be claimed again; whichever
        // claim gets a slot second finds the message sent and stops (a send still in flight can
        // still be doubled: at least once, with the same Message-ID / Idempotency-Key).
        if (await this.isSent(msg.id)) return null;
        return transport.send({
          id: msg.id,
          from: msg.from,
          to: msg.recipients.to,
          cc: msg.recipients.cc,
          bcc: msg.recipients.bcc,
          replyTo: msg.replyTo,
          subject: msg.subject,
          text: c.text,
          html: c.html,
          headers: c.headers,
          attachments: c.attachments.map((a) => ({
            filename: a.filename,
            contentType: a.contentType,
            bytes: Buffer.from(a.content, "base64"),
          })),
        });
      });
      if (result === null) return { error: null };
      // Sent: the body and attachments are not kept (they may carry secrets); the envelope and answer are.
      await this.record(msg.id, {
        status: "sent",
        attempts: sql`${emailMessages.attempts} + 1`,
        serverMessageId: result.serverMessageId,
        serverAnswer: result.answer,
        content: null,
        finishedAt: new Date(),
      });
      this.onOutcome("sent", transport.kind);
      this.log.info(
        {
          appId: row.appId,
          messageId: msg.id,
          serverMessageId: result.serverMessageId,
          transport: transport.kind,
        },
        "e-mail sent",
      );
      return { error: null };
    } catch (err) {
      const failure =
        err instanceof TransportError
          ? err
          : new TransportError(false, (err as Error).message ?? String(err));
      const final = failure.permanent || row.attempts >= row.maxAttempts;
      await this.record(msg.id, {
        attempts: sql`${emailMessages.attempts} + 1`,
        serverAnswer: failure.answer,
        ...(final ? { status: "failed" as const, finishedAt: new Date() } : {}),
      });
      this.onOutcome(final ? "failed" : "retried", transport.kind);
      this.log.warn(
        {
          appId: row.appId,
          messageId: msg.id,
          attempt: row.attempts,
          permanent: failure.permanent,
          answer: failure.answer,
          transport: transport.kind,
        },
        final ? "e-mail failed" : "e-mail delivery failed; will retry",
      );
      return { error: failure.answer, permanent: failure.permanent };
    }
  };

  private async isSent(id: string): Promise<boolean> {
    const [row] = await this.db
      .select({ status: emailMessages.status })
      .from(emailMessages)
      .where(eq(emailMessages.id, id));
    return row?.status === "sent";
  }

  private async record(id: string, set: Partial<Record<keyof MessageRow, unknown>>): Promise<void> {
    await this.db
      .update(emailMessages)
      .set({ ...set, updatedAt: new Date() } as never)
      .where(eq(emailMessages.id, id));
  }

  /** An app's messages, newest first, without content. */
  async list(
    appId: string,
    opts: { status?: EmailStatus; limit: number; cursor?: string },
  ): Promise<{ items: EmailMessageView[]; cursor: string | null }> {
    const where: (SQL | undefined)[] = [eq(emailMessages.appId, appId)];
    if (opts.status) where.push(eq(emailMessages.status, opts.status));
    if (opts.cursor) {
      if (!isUuid(opts.cursor)) throw badRequest("cursor is invalid", { field: "cursor" });
      where.push(lt(emailMessages.id, opts.cursor));
    }
    const rows = await this.db
      .select()
      .from(emailMessages)
      .where(and(...where))
      .orderBy(desc(emailMessages.id))
      .limit(opts.limit + 1);
    const page = rows.slice(0, opts.limit);
    return {
      items: page.map(view),
      cursor: rows.length > opts.limit ? page[page.length - 1]!.id : null,
    };
  }

  async get(appId: string, id: string): Promise<EmailMessageView> {
    if (!isUuid(id)) throw notFound("message");
    const [row] = await this.db
      .select()
      .from(emailMessages)
      .where(and(eq(emailMessages.appId, appId), eq(emailMessages.id, id)));
    if (!row) throw notFound("message");
    return view(row);
  }

  private async settingsRow(appId: string, db: DbOrTx = this.db) {
    const [row] = await db.select().from(appEmailSettings).where(eq(appEmailSettings.appId, appId));
    return row;
  }

  async settings(appId: string, db: DbOrTx = this.db): Promise<EmailSettingsView> {
    const row = await this.settingsRow(appId, db);
    return {
      senders: row?.senders ?? [],
      limits: {
        ...this.limitsOf(row),
        override: { perMinute: row?.perMinute ?? null, perDay: row?.perDay ?? null },
      },
      transport: this.transport?.kind ?? null,
    };
  }

  /** Replaces the allowed senders (checked by sendersSchema); true when they changed. */
  async setSenders(appId: string, senders: string[], db: DbOrTx = this.db): Promise<boolean> {
    const before = (await this.settingsRow(appId, db))?.senders ?? [];
    if (before.length === senders.length && before.every((s, i) => s === senders[i])) return false;
    await db
      .insert(appEmailSettings)
      .values({ appId, senders })
      .onConflictDoUpdate({ target: appEmailSettings.appId, set: { senders, updatedAt: sql`now()` } });
    return true;
  }

  /** Sets or clears (null) the app's limit overrides. */
  async setLimits(appId: string, limits: { perMinute: number | null; perDay: number | null }): Promise<void> {
    await this.db
      .insert(appEmailSettings)
      .values({ appId, ...limits })
      .onConflictDoUpdate({ target: appEmailSettings.appId, set: { ...limits, updatedAt: sql`now()` } });
  }

  /** Deletes sent and failed messages finished before `before`, in batches; returns how many. */
  sweep(before: Date, batchSize = 1000, maxBatches = 20): Promise<number> {
    return deleteInBatches(this.db, {
      table: emailMessages,
      id: emailMessages.id,
      where: and(ne(emailMessages.status, "queued"), lt(emailMessages.finishedAt, before)),
      batchSize,
      maxBatches,
    });
  }

  close(): void {
    this.transport?.close();
  }
}
