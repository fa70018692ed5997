/**
 * `picloud admin rotate-secret-key`: asks the daemon to re-encrypt every secret
 * and realtime signing key under its current master key now (what each start
 * does too) and says whether PICLOUD_SECRET_KEY_PREVIOUS may be removed. The
 * keys themselves are never sent: they live in the daemon's environment.
 */

import { parseArgs } from "node:util";
import type { CliEnv } from "../config/cli.js";
import { adminClient, CliError } from "./api-client.js";
import { type CliIo, parseOutputFormat, printObject } from "./output.js";

export const ADMIN_USAGE = "usage: picloud admin rotate-secret-key [--output json]";

interface Counts {
  reencrypted: number;
  unreadable: number;
  remaining: number;
}

export async function adminCommand(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { output: { type: "string", short: "o" } } });
  const format = parseOutputFormat(values.output);
  if (sub !== "rotate-secret-key") throw new CliError(ADMIN_USAGE, 2);
  const res = await adminClient(env).request<{
    currentKeyId: string;
    previousKeyId: string | null;
    secrets: Counts;
    realtimeKeys: Counts;
  }>("POST", "/secret-key/reencrypt", {});
  const left = res.secrets.remaining + res.realtimeKeys.remaining;
  if (format === "json") printObject(io, format, { ...res });
  else {
    io.out(
      `Re-encrypted ${res.secrets.reencrypted} secret(s) and ${res.realtimeKeys.reencrypted} realtime signing key(s) under key ${res.currentKeyId}.`,
    );
    if (left === 0)
      io.out(
        res.previousKeyId
          ? "Nothing is left under the previous key: remove PICLOUD_SECRET_KEY_PREVIOUS and restart."
          : "Everything is under the current key.",
      );
  }
  if (left > 0)
    throw new CliError(
      `${left} value(s) are under a key the daemon does not have (${res.secrets.unreadable + res.realtimeKeys.unreadable} unreadable): set PICLOUD_SECRET_KEY_PREVIOUS to the key they were written with and restart (docs/secrets.md)`,
    );
}
