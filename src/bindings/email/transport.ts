/**
 * What the outbound transports share: the message they are handed, what they
 * answer, and how a failure is classified. Transient failures (SMTP 4xx, HTTP
 * 429/5xx, no connection, a timeout) are retried by the outbox; permanent ones
 * (SMTP 5xx, HTTP 4xx) end the message as failed with the server's answer.
 */
import { toStorableText } from "../../lib/storable-text.js";
import type { OutgoingEmail } from "./message.js";

/** A stored message as a transport sends it: `id` is PiCloud's id (Message-ID, idempotency key). */
export interface DeliverableEmail extends Omit<OutgoingEmail, "from"> {
  id: string;
  from: string;
}

export interface TransportResult {
  /** The id the server gave the message, when it said one. */
  serverMessageId: string | null;
  /** The server's acceptance, e.g. "250 2.0.0 Ok: queued as 4XyZ" or "200". */
  answer: string;
}

export class TransportError extends Error {
  constructor(
    /** true: retrying cannot help (the server refused the message). */
    readonly permanent: boolean,
    /** The server's answer, or what went wrong on the way to it; never the message's content. */
    readonly answer: string,
  ) {
    super(answer);
    this.name = "TransportError";
  }
}

export interface EmailTransport {
  readonly kind: "smtp" | "http";
  send(message: DeliverableEmail): Promise<TransportResult>;
  close(): void;
}

/** Answers are stored and shown: bounded, one line, storable (a server may answer with a NUL). */
export function shortAnswer(s: string, max = 1000): string {
  const one = s.replace(/\s*[\r\n]+\s*/g, " ").trim();
  // After the cut, which may split a surrogate pair.
  return toStorableText(one.length > max ? `${one.slice(0, max)}…` : one);
}
