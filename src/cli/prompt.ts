/** Interactive questions for `picloud login`; refuses (instead of hanging) when stdin is not a terminal. */
import { createInterface } from "node:readline";
import { CliError } from "./api-client.js";

export async function ask(question: string, opts: { hidden?: boolean; flag: string }): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new CliError(`${opts.flag} is required when not running in a terminal`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  if (opts.hidden) {
    // Echo nothing while the password is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.includes(question)) process.stdout.write(question);
    };
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    if (opts.hidden) process.stdout.write("\n");
    rl.close();
  }
}

/** Reads all of stdin (for --password-stdin). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}
