/**
 * Whether the HTTP port can be bound, asked before the daemon opens its
 * database or prints a setup URL: a port in use must stop the start with one
 * clear line, not after half the daemon is up (issue 15).
 */
import { createServer } from "node:net";

/** A port the daemon cannot listen on; `picloud start` prints its message alone and exits non-zero. */
export class ListenError extends Error {
  constructor(host: string, port: number, code: string | undefined) {
    super(listenMessage(host, port, code));
    this.name = "ListenError";
  }
}

function listenMessage(host: string, port: number, code: string | undefined): string {
  const where = `${host}:${port}`;
  if (code === "EADDRINUSE")
    return `cannot listen on ${where}: the port is already in use (another PiCloud?); stop that process or set PICLOUD_PORT to a free port`;
  if (code === "EACCES")
    return `cannot listen on ${where}: permission denied (ports below 1024 need privileges); set PICLOUD_PORT to 1024 or above`;
  if (code === "EADDRNOTAVAIL")
    return `cannot listen on ${where}: no interface has that address; check PICLOUD_HOST`;
  return `cannot listen on ${where} (${code ?? "unknown error"}); check PICLOUD_HOST and PICLOUD_PORT`;
}

/** Turns a listen error into a ListenError (any other error is returned as is). */
export function asListenError(err: unknown, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code && ["EADDRINUSE", "EACCES", "EADDRNOTAVAIL"].includes(code))
    return new ListenError(host, port, code);
  return err as Error;
}

/** Binds and releases host:port at once; throws a ListenError when it cannot be bound. Port 0 always can. */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (err) => reject(asListenError(err, host, port)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
