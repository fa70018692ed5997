/**
 * The checked shape of one outbound message: what `env.email.send()` accepts,
 * validated with valibot before anything is stored. Every problem names its
 * field (`to[1]: must be an e-mail address …`). Header injection is refused
 * at the root: no address, subject, header or file name may hold CR or LF,
 * and header names are RFC 5322 field names that do not shadow the fields
 * PiCloud writes itself.
 */
import addressparser from "nodemailer/lib/addressparser";
import * as v from "valibot";
import { isStorableText, UNSTORABLE_TEXT } from "../../lib/storable-text.js";

export const MAX_RECIPIENTS = 50;
const MAX_REPLY_TO = 10;
const MAX_HEADERS = 50;
const MAX_ATTACHMENTS = 20;
const MAX_LINE = 998;

/** ASCII addresses: a dot-atom local part and a hostname (what every relay accepts). */
const ADDRESS_RE =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
const DOMAIN_RE = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** RFC 5322 field names: printable ASCII but the colon. */
const HEADER_NAME_RE = /^[!-9;-~]{1,76}$/;
const CONTENT_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Fields PiCloud writes from the message's own fields (or the transport writes): not settable as headers. */
const RESERVED_HEADERS = new Set([
  "from",
  "to",
  "cc",
  "bcc",
  "reply-to",
  "subject",
  "sender",
  "date",
  "message-id",
  "mime-version",
  "content-type",
  "content-transfer-encoding",
  "content-disposition",
  "return-path",
]);

const noLineBreak = (s: string) => !/[\r\n]/.test(s);

const line = (what: string, max = MAX_LINE) =>
  v.pipe(
    v.string(`${what} must be a string`),
    v.check(noLineBreak, `${what} must not contain CR or LF`),
    v.check(isStorableText, `${what} ${UNSTORABLE_TEXT}`),
    v.maxLength(max, `${what} must be at most ${max} characters`),
  );

/** The bare address of "Name <a@b.c>" or "a@b.c", or null when it is not exactly one valid mailbox. */
export function bareAddress(s: string): string | null {
  const parsed = addressparser(s);
  if (parsed.length !== 1) return null;
  const [one] = parsed;
  if (!one || one.group || !one.address || !ADDRESS_RE.test(one.address) || one.address.length > 254)
    return null;
  return one.address;
}

const address = v.pipe(
  line("an address", 320),
  v.trim(),
  v.check(
    (s) => bareAddress(s) !== null,
    "must be an e-mail address like name@example.com or Name <name@example.com>",
  ),
);

const addressList = (max: number) =>
  v.pipe(
    v.union([address, v.array(address, "must be an address or an array of addresses")], (issue) =>
      // A string that is not an address says why, rather than "expected string or array".
      typeof issue.input === "string"
        ? (issue.issues?.[0]?.message ?? "must be an e-mail address")
        : "must be an address or an array of addresses",
    ),
    v.transform((x) => (typeof x === "string" ? [x] : x)),
    v.maxLength(max, `must have at most ${max} addresses`),
  );

const headerName = v.pipe(
  v.string(),
  v.regex(HEADER_NAME_RE, "header names must be 1-76 printable ASCII characters without ':' or spaces"),
  v.check(
    (n) => !RESERVED_HEADERS.has(n.toLowerCase()),
    "is set from the message's fields (from, to, cc, bcc, replyTo, subject) or by PiCloud, not as a header",
  ),
);

const attachment = v.pipe(
  v.strictObject(
    {
      filename: v.pipe(
        line("filename", 255),
        v.minLength(1, "filename must not be empty"),
        v.check((s) => !/[/\\]/.test(s), "filename must not contain / or \\"),
      ),
      content: v.union(
        [v.instance(Uint8Array), v.string()],
        "content must be a Uint8Array, an ArrayBuffer or a string",
      ),
      contentType: v.optional(
        v.pipe(
          v.string("contentType must be a string"),
          v.regex(CONTENT_TYPE_RE, "contentType must be a MIME type like application/pdf"),
        ),
      ),
      encoding: v.optional(v.picklist(["utf8", "base64"], 'encoding must be "utf8" or "base64"')),
    },
    "must be an object {filename, content, contentType?, encoding?}",
  ),
  v.check(
    (a) => a.encoding !== "base64" || typeof a.content === "string",
    'encoding "base64" applies to string content only',
  ),
  v.check(
    (a) => a.encoding !== "base64" || BASE64_RE.test((a.content as string).replace(/\s+/g, "")),
    "content is not valid base64",
  ),
  v.transform((a) => ({
    filename: a.filename,
    contentType: a.contentType ?? null,
    bytes:
      typeof a.content === "string"
        ? Buffer.from(
            a.encoding === "base64" ? a.content.replace(/\s+/g, "") : a.content,
            a.encoding ?? "utf8",
          )
        : Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength),
  })),
);

const body = (what: string) =>
  v.optional(
    v.nullable(
      v.pipe(v.string(`${what} must be a string`), v.check(isStorableText, `${what} ${UNSTORABLE_TEXT}`)),
    ),
  );

const sendInputSchema = v.pipe(
  v.strictObject(
    {
      to: v.pipe(addressList(MAX_RECIPIENTS), v.minLength(1, "must name at least one address")),
      cc: v.optional(addressList(MAX_RECIPIENTS)),
      bcc: v.optional(addressList(MAX_RECIPIENTS)),
      from: v.optional(address),
      replyTo: v.optional(addressList(MAX_REPLY_TO)),
      subject: line("subject"),
      text: body("text"),
      html: body("html"),
      headers: v.optional(
        v.pipe(
          v.record(headerName, line("header values"), "headers must be an object of name → string"),
          v.check((h) => Object.keys(h).length <= MAX_HEADERS, `headers: at most ${MAX_HEADERS}`),
          v.check(
            (h) => new Set(Object.keys(h).map((k) => k.toLowerCase())).size === Object.keys(h).length,
            "headers: a name may appear once (names are case-insensitive)",
          ),
        ),
      ),
      attachments: v.optional(
        v.pipe(
          v.array(attachment, "attachments must be an array"),
          v.maxLength(MAX_ATTACHMENTS, `attachments: at most ${MAX_ATTACHMENTS}`),
        ),
      ),
    },
    "the message must be an object {to, subject, text or html, …}",
  ),
  v.check((m) => Boolean(m.text || m.html), "give text or html (or both)"),
  v.check(
    (m) => m.to.length + (m.cc?.length ?? 0) + (m.bcc?.length ?? 0) <= MAX_RECIPIENTS,
    `to, cc and bcc together may name at most ${MAX_RECIPIENTS} recipients`,
  ),
);

/** A validated message, ready to store. */
export interface OutgoingEmail {
  from: string | null;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  text: string | null;
  html: string | null;
  headers: Record<string, string>;
  attachments: { filename: string; contentType: string | null; bytes: Buffer }[];
}

/** Why a message was refused: `field` is a path like `to[1]` or `attachments[0].content` ("" for the whole). */
export class InvalidEmail extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly kind: "type" | "range",
  ) {
    super(field ? `${field}: ${problem}` : problem);
  }
}

function pathOf(issue: v.BaseIssue<unknown>): string {
  let out = "";
  for (const p of issue.path ?? []) {
    if (typeof p.key === "number") out += `[${p.key}]`;
    else out += out ? `.${String(p.key)}` : String(p.key);
  }
  return out;
}

/** Checks a message as a script handed it over; throws InvalidEmail naming the first bad field. */
export function parseSendInput(raw: unknown): OutgoingEmail {
  const result = v.safeParse(sendInputSchema, raw, { abortPipeEarly: true });
  if (!result.success) {
    const issue = result.issues[0];
    const field = pathOf(issue);
    let message = issue.message;
    if (issue.type === "strict_object" && issue.expected === "never") {
      message = "is not a known field";
    } else if (issue.received === "undefined" && field) {
      message = "is required";
    }
    // "subject must be …" already names the field: do not say it twice.
    const last = field.replace(/^.*[.\]]/, "").replace(/\[.*$/, "");
    if (last && message.startsWith(`${last} `)) message = message.slice(last.length + 1);
    const kind = /at most|too (many|large)/.test(message) ? "range" : "type";
    throw new InvalidEmail(field, message, kind);
  }
  const m = result.output;
  return {
    from: m.from ?? null,
    to: m.to,
    cc: m.cc ?? [],
    bcc: m.bcc ?? [],
    replyTo: m.replyTo ?? [],
    subject: m.subject,
    text: m.text ?? null,
    html: m.html ?? null,
    headers: m.headers ?? {},
    attachments: m.attachments ?? [],
  };
}

/** The size checked against PICLOUD_EMAIL_MAX_BYTES: bodies, headers and attachment bytes. */
export function messageSize(m: OutgoingEmail): number {
  let n = Buffer.byteLength(m.subject) + Buffer.byteLength(m.text ?? "") + Buffer.byteLength(m.html ?? "");
  for (const [k, val] of Object.entries(m.headers)) n += k.length + Buffer.byteLength(val) + 4;
  for (const a of m.attachments) n += a.bytes.length + Buffer.byteLength(a.filename);
  return n;
}

/** An allowed-sender entry: a bare address or a domain, lower-cased. */
export const senderEntrySchema = v.pipe(
  v.string("senders must be strings"),
  v.trim(),
  v.toLowerCase(),
  v.check(
    (s) => (s.includes("@") ? ADDRESS_RE.test(s) : DOMAIN_RE.test(s)),
    "each sender must be an address (noreply@example.com) or a domain (example.com)",
  ),
);

export const sendersSchema = v.pipe(
  v.array(senderEntrySchema, "senders must be an array of addresses and domains"),
  v.maxLength(100, "senders: at most 100 entries"),
  v.transform((s) => [...new Set(s)]),
);

/** Whether `from` (any form) is one of the allowed addresses or at one of the allowed domains. */
export function senderAllowed(from: string, senders: string[]): boolean {
  const bare = bareAddress(from)?.toLowerCase();
  if (!bare) return false;
  const domain = bare.slice(bare.lastIndexOf("@") + 1);
  return senders.some((s) => (s.includes("@") ? s === bare : s === domain));
}
