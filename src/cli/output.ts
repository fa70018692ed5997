/** How the CLI prints: aligned tables for people, `--output json` for scripts. */

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export type OutputFormat = "table" | "json";

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === "table") return "table";
  if (value === "json") return "json";
  throw new Error(`--output must be table or json, not ${JSON.stringify(value)}`);
}

/**
 * Prints rows as an aligned table with the given columns (header in capitals), or the raw value as JSON.
 * An array cell is joined with commas, or, for the `stacked` columns, printed one item per line
 * (continuation lines leave the other columns blank): long lists such as routes stay readable.
 */
export function printList<T extends object>(
  io: CliIo,
  format: OutputFormat,
  rows: T[],
  columns: (keyof T & string)[],
  raw: unknown = rows,
  opts: { stacked?: (keyof T & string)[] } = {},
): void {
  if (format === "json") {
    io.out(JSON.stringify(raw, null, 2));
    return;
  }
  if (rows.length === 0) {
    io.out("(none)");
    return;
  }
  const stacked = new Set<string>(opts.stacked ?? []);
  const cell = (v: unknown) =>
    v === null || v === undefined ? "-" : Array.isArray(v) ? v.join(",") : String(v);
  const lines = (r: T): string[][] => {
    const first = columns.map((c) => (stacked.has(c) && Array.isArray(r[c]) ? "" : cell(r[c])));
    const out = [first];
    for (const [i, c] of columns.entries()) {
      const v = r[c];
      if (!stacked.has(c) || !Array.isArray(v)) continue;
      if (v.length === 0) first[i] = "-";
      v.forEach((item, n) => {
        out[n] ??= columns.map(() => "");
        out[n]![i] = String(item);
      });
    }
    return out;
  };
  const table = [columns.map((c) => c.toUpperCase()), ...rows.flatMap(lines)];
  const widths = columns.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table)
    io.out(
      row
        .map((v, i) => v.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    );
}

/** Prints one object as `key: value` lines, or JSON. */
export function printObject(io: CliIo, format: OutputFormat, obj: Record<string, unknown>): void {
  if (format === "json") {
    io.out(JSON.stringify(obj, null, 2));
    return;
  }
  const width = Math.max(...Object.keys(obj).map((k) => k.length));
  for (const [k, v] of Object.entries(obj)) {
    io.out(
      `${`${k}:`.padEnd(width + 1)} ${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v ?? "-")}`,
    );
  }
}
