/**
 * Test helper: a real SMTP server (smtp-server) that plays the operator's relay.
 * It keeps every message it accepts (envelope and raw bytes) and answers DATA
 * from a script: `answers` is consumed one per message (`null` = 250), so a
 * test can say "451 once, then accept" or "550 for good".
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface SunkMessage {
  from: string;
  to: string[];
  raw: Buffer;
  /** Whether the session had been upgraded to TLS (STARTTLS or smtps). */
  secure: boolean;
  user: string | null;
}

export interface SmtpSink {
  port: number;
  url: string;
  messages: SunkMessage[];
  /** DATA answers for the next messages, in order; when empty, messages are accepted. */
  answers: ({ code: number; message: string } | null)[];
  /** How many DATA commands were answered (accepted or not). */
  attempts: number;
  /** Recipients refused at RCPT TO with 550. */
  unknownRecipients: Set<string>;
  close(): Promise<void>;
}

export async function startSmtpSink(
  opts: {
    secure?: boolean;
    auth?: { user: string; pass: string };
    startTls?: boolean;
    port?: number;
    /** Default 127.0.0.1. */
    host?: string;
  } = {},
): Promise<SmtpSink> {
  const sink: Omit<SmtpSink, "port" | "url" | "close"> = {
    messages: [],
    answers: [],
    attempts: 0,
    unknownRecipients: new Set(),
  };
  let n = 0;
  const server = new SMTPServer({
    secure: opts.secure ?? false,
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    disabledCommands: opts.startTls === false ? ["STARTTLS"] : [],
    logger: false,
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass)
        return callback(null, { user: auth.username });
      return callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (sink.unknownRecipients.has(address.address))
        return callback(Object.assign(new Error("5.1.1 No such user here"), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        sink.attempts++;
        const answer = sink.answers.shift() ?? null;
        if (answer) return callback(Object.assign(new Error(answer.message), { responseCode: answer.code }));
        sink.messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          secure: session.secure,
          user: (session.user as string | undefined) ?? null,
        });
        callback(null, `Ok: queued as SINK${++n}`);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  const cred = opts.auth
    ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@`
    : "";
  return Object.assign(sink, {
    port,
    url: `${opts.secure ? "smtps" : "smtp"}://${cred}127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as SmtpSink;
}
