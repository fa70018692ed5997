/** A JSON argument of a CLI command: inline (`'{"a":1}'`), from a file (`@doc.json`) or stdin (`@-`). */
import { readFileSync } from "node:fs";
import { CliError } from "./api-client.js";
import { readStdin } from "./prompt.js";

export async function jsonArgument(raw: string, what: string): Promise<unknown> {
  let text = raw;
  if (raw === "@-") text = await readStdin();
  else if (raw.startsWith("@")) {
    try {
      text = readFileSync(raw.slice(1), "utf8");
    } catch (err) {
      throw new CliError(`cannot read ${raw.slice(1)}: ${(err as NodeJS.ErrnoException).code ?? err}`, 2);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(
      `${what} is not JSON (${(err as Error).message}); quote a string as '"text"', or give @file or @- for stdin`,
      2,
    );
  }
}
