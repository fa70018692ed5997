/**
 * TextEncoder and TextDecoder in the guest: UTF-8, and every WHATWG encoding
 * label through the host (host-text-decode.ts), in both isolation modes.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createSandboxHost } from "./index.js";
import { ATTEMPT, inGuest } from "./testing/jobs.js";

const host = createSandboxHost({ maxConcurrent: 2 });
afterAll(() => host.dispose());

/** Both isolation modes: snapshot sandboxes (the default) and classic contexts. */
const MODES = [
  ["snapshot sandboxes", host],
  ["classic contexts", createSandboxHost({ maxConcurrent: 2, snapshots: false })],
] as const;
afterAll(() => MODES[1][1].dispose());

describe.each(MODES)("TextDecoder, legacy encodings (%s)", (_mode, modeHost) => {
  it("resolves every kind of label to its canonical encoding name", async () => {
    const result = await inGuest(
      modeHost,
      `return ["latin1", "ascii", "UTF-16", "utf-16be", "unicode-1-1-utf-8", "GBK", "gb2312", "gb18030", "big5-hkscs",
        "x-euc-jp", "csiso2022jp", "sjis", "ks_c_5601-1987", "koi8-r", "iso-8859-2", "windows-1251", "x-mac-cyrillic",
        "x-user-defined", " \\t\\n\\f\\rcp1252\\r\\n "].map((l) => new TextDecoder(l).encoding)`,
    );
    expect(result).toEqual([
      "windows-1252",
      "windows-1252",
      "utf-16le",
      "utf-16be",
      "utf-8",
      "gbk",
      "gbk",
      "gb18030",
      "big5",
      "euc-jp",
      "iso-2022-jp",
      "shift_jis",
      "euc-kr",
      "koi8-r",
      "iso-8859-2",
      "windows-1251",
      "x-mac-cyrillic",
      "x-user-defined",
      "windows-1252",
    ]);
  });

  it("rejects labels padded with anything but ASCII whitespace, the replacement labels and unknown ones", async () => {
    const result = await inGuest(
      modeHost,
      `${ATTEMPT} return ["\\vutf-8", "utf-8\\v", "\\u00a0utf-8", "utf-8\\u00a0", "\\u2028latin1", "utf-8\\0", "replacement",
        "iso-2022-kr", "hz-gb-2312", "utf-7", "x-unknown", ""].map((l) => attempt(() => new TextDecoder(l).encoding).split(":")[0])`,
    );
    expect(result).toEqual(Array(12).fill("RangeError"));
  });

  it("decodes the single-byte encodings with their tables", async () => {
    const result = await inGuest(
      modeHost,
      `const bytes = new Uint8Array([0x41, 0x80, 0x92, 0x9f, 0xa4, 0xe9]);
       return ["windows-1252", "iso-8859-2", "iso-8859-15", "windows-1251", "koi8-r", "ibm866", "macintosh", "x-user-defined"]
         .map((e) => [...new TextDecoder(e).decode(bytes)].map((c) => c.codePointAt(0).toString(16)).join(" "))`,
    );
    expect(result).toEqual([
      "41 20ac 2019 178 a4 e9",
      "41 80 92 9f a4 e9",
      "41 80 92 9f 20ac e9",
      "41 402 2019 45f a4 439",
      "41 2500 2593 f7 2553 418",
      "41 410 422 42f 434 449",
      "41 c4 ed fc a7 c8",
      "41 f780 f792 f79f f7a4 f7e9",
    ]);
  });

  it("decodes UTF-16LE/BE with and without a byte order mark, honouring ignoreBOM", async () => {
    const result = await inGuest(
      modeHost,
      `const le = new Uint8Array([0xff, 0xfe, 0x41, 0x00, 0x3d, 0xd8, 0x00, 0xde]);
       const be = new Uint8Array([0xfe, 0xff, 0x00, 0x41, 0xd8, 0x3d, 0xde, 0x00]);
       return [new TextDecoder("utf-16le").decode(le), new TextDecoder("utf-16be").decode(be),
         new TextDecoder("utf-16le", { ignoreBOM: true }).decode(le).charCodeAt(0).toString(16),
         new TextDecoder("utf-16be").decode(new Uint8Array([0xd8, 0x00])).codePointAt(0).toString(16),
         new TextDecoder("utf-16le").decode(new Uint8Array([0x41])).codePointAt(0).toString(16)]`,
    );
    expect(result).toEqual(["A😀", "A😀", "feff", "fffd", "fffd"]);
  });

  it("decodes the CJK encodings (the examples of the Encoding Standard's indexes)", async () => {
    const result = await inGuest(
      modeHost,
      `const d = (e, b) => new TextDecoder(e).decode(new Uint8Array(b));
       return [d("gbk", [0xc4, 0xe3, 0xba, 0xc3]), d("gb18030", [0x81, 0x30, 0x81, 0x30, 0x80]), d("big5", [0xa4, 0xa4, 0xa4, 0xe5]),
         d("euc-jp", [0xc6, 0xfc, 0xcb, 0xdc, 0x8e, 0xb1]), d("shift_jis", [0x93, 0xfa, 0x96, 0x7b, 0xb1]),
         d("iso-2022-jp", [0x1b, 0x24, 0x42, 0x46, 0x7c, 0x4b, 0x5c, 0x1b, 0x28, 0x42, 0x41]), d("euc-kr", [0xc7, 0xd1, 0xb1, 0xdb])]`,
    );
    expect(result).toEqual(["你好", "\u0080€", "中文", "日本ｱ", "日本ｱ", "日本A", "한글"]);
  });

  it("keeps an incomplete sequence, and the ISO-2022-JP mode, across streaming calls", async () => {
    const result = await inGuest(
      modeHost,
      `const parts = (e, chunks) => { const d = new TextDecoder(e); const out = chunks.map((c) => d.decode(new Uint8Array(c), { stream: true })); out.push(d.decode()); return out; };
       return [parts("shift_jis", [[0x93], [0xfa, 0x96], [0x7b]]), parts("utf-16le", [[0x3d], [0xd8, 0x00], [0xde]]),
         parts("iso-2022-jp", [[0x1b, 0x24], [0x42, 0x46], [0x7c], [0x4b, 0x5c]]), parts("gb18030", [[0x81, 0x30], [0x81], [0x30]]),
         parts("euc-kr", [[0xc7]])]`,
    );
    expect(result).toEqual([
      ["", "日", "本", ""],
      ["", "", "😀", ""],
      ["", "", "日", "本", ""],
      ["", "", "\u0080", ""],
      ["", "\uFFFD"],
    ]);
  });

  it("throws a TypeError on invalid input when fatal, and replaces it otherwise", async () => {
    const result = await inGuest(
      modeHost,
      `${ATTEMPT} const bad = { "windows-874": [0x41, 0xdb], "shift_jis": [0x82], "euc-kr": [0xc7], "utf-16be": [0xdc, 0x00], "iso-8859-3": [0xa5], "big5": [0x41, 0xa4], "iso-2022-jp": [0x1b, 0x24, 0x42, 0x7f] };
       return Object.entries(bad).map(([e, b]) => [attempt(() => new TextDecoder(e, { fatal: true }).decode(new Uint8Array(b))).split(":")[0],
         new TextDecoder(e).decode(new Uint8Array(b)).includes("\\uFFFD")])`,
    );
    expect(result).toEqual(Array(7).fill(["TypeError", true]));
  });

  it("a stream left open by one execution is not seen by the next one on the same sandbox", async () => {
    const body = `const d = new TextDecoder("shift_jis"); return d.decode(new Uint8Array([0x41]), { stream: true }) + d.decode(new Uint8Array([0x93]), { stream: true })`;
    const first = await inGuest(modeHost, body);
    const second = await inGuest(
      modeHost,
      `const d = new TextDecoder("shift_jis"); return d.decode(new Uint8Array([0xfa]))`,
    );
    expect([first, second]).toEqual(["A", "\uFFFD"]);
  });

  it("decoders are independent and reusable after a stream ends", async () => {
    const result = await inGuest(
      modeHost,
      `const a = new TextDecoder("big5"); const b = new TextDecoder("big5");
       const first = [a.decode(new Uint8Array([0xa4]), { stream: true }), b.decode(new Uint8Array([0xa4]), { stream: true }),
         a.decode(new Uint8Array([0xa4])), b.decode(new Uint8Array([0xe5]))];
       return [...first, a.decode(new Uint8Array([0xa4, 0xe5]), { stream: true }), a.fatal, a.ignoreBOM, Object.prototype.toString.call(a)]`,
    );
    expect(result).toEqual(["", "", "中", "文", "文", false, false, "[object TextDecoder]"]);
  });
});

describe("TextEncoder / TextDecoder", () => {
  it("round-trips UTF-8, replaces lone surrogates and handles the BOM", async () => {
    const result = await inGuest(
      host,
      `const enc = new TextEncoder();
       const s = "aé€😀";
       const bytes = enc.encode(s);
       return [enc.encoding, [...bytes], new TextDecoder().decode(bytes), [...enc.encode("\\uD800")],
         new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), new TextDecoder("utf-8", { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])).length,
         new TextDecoder().decode(new Uint8Array([0xff, 0x41])), new TextDecoder("UTF8").encoding]`,
    );
    expect(result).toEqual([
      "utf-8",
      [97, 195, 169, 226, 130, 172, 240, 159, 152, 128],
      "aé€😀",
      [239, 191, 189],
      "A",
      2,
      "\uFFFDA",
      "utf-8",
    ]);
  });

  it("throws on invalid input when fatal, and on unsupported labels", async () => {
    const result = await inGuest(
      host,
      `${ATTEMPT} return [attempt(() => new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xc3]))), attempt(() => new TextDecoder("x-unknown"))]`,
    );
    expect(result).toEqual([expect.stringMatching(/^TypeError/), expect.stringMatching(/^RangeError/)]);
  });

  it("decodes a stream split inside a multi-byte character", async () => {
    const result = await inGuest(
      host,
      `const d = new TextDecoder(); const b = new TextEncoder().encode("€😀");
       return d.decode(b.subarray(0, 2), { stream: true }) + "|" + d.decode(b.subarray(2, 5), { stream: true }) + "|" + d.decode(b.subarray(5))`,
    );
    expect(result).toBe("|€|😀");
  });

  it("encodeInto writes whole characters only", async () => {
    const result = await inGuest(
      host,
      `const out = new Uint8Array(4); const r = new TextEncoder().encodeInto("aé€", out); return [r.read, r.written, [...out]]`,
    );
    expect(result).toEqual([2, 3, [97, 195, 169, 0]]);
  });
});
