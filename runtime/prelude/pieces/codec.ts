/**
 * Piece "codec": the value format of binding calls and event inputs — JSON
 * text where bytes travel beside it as ArrayBuffers ({"\u0000b": index}),
 * so binary data crosses the boundary without base64. Also turns a host
 * rejection ([name, message]) into a guest error of the right class.
 */
import { Op } from "../../ops.js";
import { guestError } from "../guest-error.js";
import type { Internals } from "../internals.js";
import type { CodecPiece, FetchPiece } from "../piece-types.js";

const BYTES = "\u0000b";
const UNDEFINED = "\u0000u";

/** The scheduled controller's noRetry(): nothing to do, as cron runs are not retried. */
function noRetry(): void {}

/** The host's e-mail message (src/email-in/inbox.ts HandlerMessage), before the guest dresses it. */
interface Mail {
  from: string;
  subject: string;
  text?: string;
  html?: string;
  replyTo?: string;
  messageId?: string;
  references: string[];
  headers: unknown;
  raw: Uint8Array;
  reply?: unknown;
  forward?: unknown;
}

type Init = Record<string, unknown>;

/** env.email, or a clear error naming the method when this instance sends no mail. */
function sender(env: Record<string, unknown>, method: string): { send(message: Init): Promise<unknown> } {
  const email = env.email as { send?: unknown } | undefined;
  if (email == null || typeof email.send !== "function")
    throw new Error(
      `message.${method}() sends through env.email, which this instance does not have: outbound e-mail is not configured (docs/email.md)`,
    );
  return email as { send(message: Init): Promise<unknown> };
}

function initOf(init: unknown, method: string): Init {
  if (init === undefined) return new Object() as Init;
  if (init === null || typeof init !== "object")
    throw new TypeError(`message.${method}(): the message must be an object like { text, html }`);
  return init as Init;
}

export default function install(I: Internals): CodecPiece {
  I.share(noRetry);
  /** Turns the host's message into the handler's: headers as a Headers, reply() and forward(). */
  const mailMessage = (mail: Mail, env: Record<string, unknown>): Mail => {
    const F = I.load<FetchPiece>("fetch");
    mail.headers = new F.Headers(mail.headers);
    /** Sends a reply (to Reply-To, else From) through env.email, threaded with In-Reply-To and References. */
    mail.reply = function reply(init?: unknown) {
      const out = Object.assign(new Object(), initOf(init, "reply")) as Init;
      const email = sender(env, "reply");
      if (out.to === undefined) out.to = mail.replyTo ?? mail.from;
      if (out.subject === undefined)
        out.subject = /^re:/i.test(mail.subject) ? mail.subject : `Re: ${mail.subject}`;
      const headers = Object.assign(new Object(), out.headers) as Init;
      if (mail.messageId) {
        headers["In-Reply-To"] = mail.messageId;
        headers.References = [...mail.references, mail.messageId].join(" ");
      }
      out.headers = headers;
      return email.send(out);
    };
    /** Sends the message on to `to` through env.email, the original attached whole (message/rfc822). */
    mail.forward = function forward(to: unknown, init?: unknown) {
      if (to === undefined || to === null || to === "")
        throw new TypeError("message.forward(to): give the address(es) to forward to");
      const out = Object.assign(new Object(), initOf(init, "forward")) as Init;
      const email = sender(env, "forward");
      out.to = to;
      if (out.subject === undefined)
        out.subject = /^fwd?:/i.test(mail.subject) ? mail.subject : `Fwd: ${mail.subject}`;
      if (out.text === undefined && out.html === undefined)
        out.text = `Forwarded message from ${mail.from}: see the attached original.`;
      const attachment = new Object() as Init;
      attachment.filename = "forwarded-message.eml";
      attachment.content = mail.raw;
      attachment.contentType = "message/rfc822";
      const extra = Array.isArray(out.attachments) ? out.attachments : Array.of();
      out.attachments = Array.of(...extra, attachment);
      return email.send(out);
    };
    return mail;
  };
  const encode = (value: unknown, what: string): [string, ArrayBuffer[]] => {
    const binaries: ArrayBuffer[] = [];
    const json = JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
      const raw = this[key];
      if (raw instanceof ArrayBuffer) return { [BYTES]: binaries.push(raw.slice(0)) - 1 };
      if (ArrayBuffer.isView(raw)) {
        const copy = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
        return { [BYTES]: binaries.push(copy) - 1 };
      }
      if (v === undefined) return Array.isArray(this) ? { [UNDEFINED]: 0 } : undefined;
      if (typeof v === "function" || typeof v === "symbol" || typeof v === "bigint")
        throw new TypeError(`${what}: a ${typeof v} cannot be passed to the host`);
      if (v !== null && typeof v === "object" && !Array.isArray(v) && !I.isPlain(v)) {
        const proto = Object.getPrototypeOf(v);
        const name = (proto as { constructor?: { name?: string } }).constructor?.name ?? "object";
        throw new TypeError(
          `${what}: a ${name} cannot be passed to the host (use plain objects, arrays and Uint8Array)`,
        );
      }
      return v;
    });
    return [json, binaries];
  };

  const decode = (json: string | undefined, binaries: ArrayBuffer[] | undefined): unknown => {
    if (json === undefined) return undefined;
    return JSON.parse(json, (_key, v: unknown) => {
      if (v !== null && typeof v === "object" && !Array.isArray(v)) {
        const keys = Object.keys(v);
        if (keys.length === 1 && keys[0] === BYTES) {
          const buffer = binaries?.[(v as Record<string, number>)[BYTES]!];
          return buffer === undefined ? v : new Uint8Array(buffer);
        }
        if (keys.length === 1 && keys[0] === UNDEFINED) return undefined;
      }
      return v;
    });
  };

  const call = (token: number, binding: string, method: string, args: unknown[]): Promise<unknown> => {
    let encoded: [string, ArrayBuffer[]];
    try {
      encoded = encode(args, `${binding}.${method}()`);
    } catch (e) {
      return Promise.reject(e);
    }
    const pending = I.host(Op.BindingCall, token, binding, method, encoded[0], encoded[1]) as Promise<
      [string | undefined, ArrayBuffer[]]
    >;
    return pending.then(
      ([json, binaries]) => decode(json, binaries),
      (reason) => {
        throw guestError(reason);
      },
    );
  };

  return {
    decode,
    call,
    bindEnv(env, names, token) {
      for (const name of names) {
        Object.defineProperty(env, name, {
          configurable: true,
          enumerable: true,
          get() {
            const factory = I.host(Op.BindingFactory, name) as (call: unknown) => unknown;
            const binding = factory((method: string, ...args: unknown[]) =>
              call(token, name, String(method), args),
            );
            Object.defineProperty(env, name, {
              value: binding,
              enumerable: true,
              configurable: true,
              writable: true,
            });
            return binding;
          },
        });
      }
    },
    input(entry, scheduled, json, binaries, env) {
      if (entry === "scheduled") {
        const controller = new Object() as Record<string, unknown>;
        controller.cron = scheduled![0];
        controller.scheduledTime = scheduled![1];
        controller.type = "scheduled";
        controller.noRetry = noRetry;
        return controller;
      }
      const value = decode(json, binaries);
      return entry === "email" ? mailMessage(value as Mail, env) : value;
    },
    output(entry, result) {
      let json: string | undefined;
      if (result !== undefined) {
        try {
          json = JSON.stringify(result);
        } catch (e) {
          I.log(3, `The ${entry}() return value was ignored: it is not JSON-serializable (${I.describe(e)})`);
        }
      }
      I.host(Op.ReturnValue, json);
    },
  };
}
