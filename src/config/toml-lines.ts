/**
 * Finds the line of a key in TOML source, so validation errors about a parsed
 * value can point at the line the user wrote (the parser keeps no positions).
 * Best effort: it understands `[table]` and `[[array]]` headers and `key =`
 * lines, which is how picloud.toml files are written.
 */

interface Header {
  /** `scripts#1` for the second `[[scripts]]`, `env.production` for `[env.production]`. */
  key: string;
  line: number;
}

const HEADER = /^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/;

function dotted(name: string): string {
  return name
    .split(".")
    .map((p) => p.trim().replace(/^["']|["']$/g, ""))
    .join(".");
}

function headersOf(lines: string[]): Header[] {
  const seen = new Map<string, number>();
  const headers: Header[] = [];
  lines.forEach((text, i) => {
    const m = HEADER.exec(text);
    if (!m) return;
    const name = dotted(m[2]!);
    if (m[1] === "[[") {
      const n = seen.get(name) ?? 0;
      seen.set(name, n + 1);
      headers.push({ key: `${name}#${n}`, line: i });
    } else headers.push({ key: name, line: i });
  });
  return headers;
}

function keyOf(path: (string | number)[]): string {
  let key = "";
  for (const part of path) {
    if (typeof part === "number") key += `#${part}`;
    else key += key ? `.${part}` : part;
  }
  return key;
}

function findKey(lines: string[], from: number, to: number, key: string): number | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`^\\s*(?:${escaped}|"${escaped}"|'${escaped}')\\s*[=.]`);
  for (let i = from; i < to; i++) if (re.test(lines[i]!)) return i;
  return undefined;
}

/** The 1-based line where the value at `path` (e.g. ["scripts", 1, "routes", 0]) is written, if found. */
export function lineOfKey(source: string, path: (string | number)[]): number | undefined {
  const lines = source.split(/\r?\n/);
  const headers = headersOf(lines);
  const endOf = (h: Header | undefined) => {
    const next = headers.find((x) => x.line > (h?.line ?? -1));
    return next ? next.line : lines.length;
  };
  for (let i = path.length; i >= 1; i--) {
    const header = headers.find((h) => h.key === keyOf(path.slice(0, i)));
    if (!header) continue;
    const rest = path[i];
    if (typeof rest !== "string") return header.line + 1;
    const found = findKey(lines, header.line + 1, endOf(header), rest);
    return (found ?? header.line) + 1;
  }
  const first = path[0];
  if (typeof first !== "string") return undefined;
  const found = findKey(lines, 0, headers[0]?.line ?? lines.length, first);
  return found === undefined ? undefined : found + 1;
}
