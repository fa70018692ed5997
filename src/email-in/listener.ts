/**
 * The SMTP listener (PICLOUD_SMTP_LISTEN): smtp-server speaks the protocol,
 * the inbox decides. Recipients no app takes are refused at RCPT TO (550), a
 * message over the size limit gets 552 (SIZE is advertised, and enforced
 * whatever the client declared), and 250 is sent only once the message and
 * its outbox rows are committed. No AUTH: this is an MX, not a relay.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import type { Logger } from "../lib/logger.js";
import { normalizeAddress } from "./addresses.js";
import type { Inbox } from "./inbox.js";

export interface SmtpListenerConfig {
  host: string;
  port: number;
  /** Largest message accepted, in bytes (advertised with SIZE). */
  maxBytes: number;
  /** Recipients per message. */
  maxRecipients: number;
  /** PEM key and certificate: STARTTLS is offered when both are set. */
  tls: { key: Buffer; cert: Buffer } | null;
  /** The name in the greeting and EHLO answer. */
  hostname: string;
  /** How long stop() lets a transaction in progress finish. */
  closeTimeoutMs: number;
}

type Routed = SMTPServerSession & { picloudApps?: Map<string, string> };

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export class SmtpListener {
  private server: SMTPServer | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();
  port = 0;

  constructor(
    private readonly inbox: Inbox,
    private readonly config: SmtpListenerConfig,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.server) return;
    const { config, log } = this;
    const server = new SMTPServer({
      name: config.hostname,
      banner: "PiCloud ESMTP",
      size: config.maxBytes,
      rejectOversized: true,
      maxRecipients: config.maxRecipients,
      authOptional: true,
      disabledCommands: config.tls ? ["AUTH"] : ["AUTH", "STARTTLS"],
      ...(config.tls ? { key: config.tls.key, cert: config.tls.cert } : {}),
      secure: false,
      logger: false,
      closeTimeout: config.closeTimeoutMs,
      maxClients: 200,
      onRcptTo: (address, session, callback) => {
        this.rcpt(address.address, session as Routed).then(
          () => callback(),
          (err: Error) => callback(err),
        );
      },
      onData: (stream, session, callback) => {
        const p = this.data(stream, session as Routed).then(
          () => callback(),
          (err: Error) => callback(err),
        );
        this.inFlight.add(p);
        void p.finally(() => this.inFlight.delete(p));
      },
    });
    server.on("error", (err) => log.warn({ err: err.message }, "smtp: connection error"));
    await new Promise<void>((resolve, reject) => {
      server.server.once("error", reject);
      server.listen(config.port, config.host, () => {
        server.server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
    log.info(
      {
        smtpPort: this.port,
        smtpHost: config.host,
        starttls: config.tls !== null,
        maxBytes: config.maxBytes,
      },
      "SMTP listener ready",
    );
  }

  /** Stops accepting connections; transactions in progress finish (bounded by closeTimeoutMs) and are stored. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.allSettled([...this.inFlight]);
  }

  private async rcpt(raw: string, session: Routed): Promise<void> {
    const address = normalizeAddress(raw);
    let appId: string | null = null;
    if (address) {
      try {
        appId = await this.inbox.route(address);
      } catch (err) {
        this.log.error({ err: String(err) }, "smtp: routing a recipient failed");
        throw smtpError(451, "4.3.0 Temporary failure, try again later");
      }
    }
    if (!appId) {
      this.log.info(
        { sessionId: session.id, remoteAddress: session.remoteAddress },
        "smtp: recipient refused",
      );
      throw smtpError(550, "5.1.1 Mailbox unavailable");
    }
    session.picloudApps ??= new Map();
    session.picloudApps.set(address!, appId);
  }

  private async data(stream: SMTPServerDataStream, session: Routed): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    await new Promise<void>((resolve, reject) => {
      stream.on("data", (chunk: Buffer) => {
        size += chunk.length;
        // Over the limit the rest is read and dropped: the connection answers 552.
        if (size <= this.config.maxBytes) chunks.push(chunk);
      });
      stream.once("end", resolve);
      stream.once("error", reject);
    });
    if (stream.sizeExceeded || size > this.config.maxBytes) {
      this.log.info(
        { sessionId: session.id, bytes: size, maxBytes: this.config.maxBytes },
        "smtp: message too large",
      );
      throw smtpError(552, `5.3.4 Message exceeds the maximum size of ${this.config.maxBytes} bytes`);
    }
    const routes = session.picloudApps ?? new Map<string, string>();
    const rcptTo = session.envelope.rcptTo
      .map((r) => normalizeAddress(r.address))
      .filter((a): a is string => a !== null && routes.has(a))
      .map((address) => ({ address, appId: routes.get(address)! }));
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address.slice(0, 320) : "";
    const raw = Buffer.concat(chunks, size);
    let ids: string[];
    try {
      ids = await this.inbox.accept({ mailFrom, rcptTo, remoteAddress: session.remoteAddress ?? null }, raw);
    } catch (err) {
      this.log.error(
        { err: String(err), sessionId: session.id, bytes: size },
        "smtp: storing a message failed",
      );
      throw smtpError(451, "4.3.0 Temporary failure, try again later");
    }
    this.log.info(
      {
        sessionId: session.id,
        emailIds: ids,
        recipients: rcptTo.length,
        bytes: size,
        remoteAddress: session.remoteAddress,
      },
      "inbound e-mail accepted",
    );
  }
}
