/**
 * Test-only: real HTTP(S) servers on loopback that record every connection and
 * request, so tests can prove that a refused fetch never reached them. Not
 * imported by production code.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  /** TLS server name the client sent (https only). */
  servername?: string;
}

export interface LocalServer {
  host: string;
  port: number;
  /** Base URL with the literal address, e.g. http://127.0.0.1:1234 */
  origin: string;
  connections: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export type TestHandler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

async function listen(server: http.Server, host: string, port: number, scheme: string): Promise<LocalServer> {
  const sockets = new Set<Socket>();
  const state: LocalServer = {
    host,
    port: 0,
    origin: "",
    connections: 0,
    requests: [],
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on(scheme === "https" ? "secureConnection" : "connection", (socket: Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  state.port = (server.address() as AddressInfo).port;
  state.origin = `${scheme}://${host.includes(":") ? `[${host}]` : host}:${state.port}`;
  return state;
}

function recording(state: () => LocalServer, handler: TestHandler): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      state().requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
        servername: (req.socket as TLSSocket).servername || undefined,
      });
      handler(req, res, body);
    });
  };
}

/** An HTTP server on `host` (default 127.0.0.1) and `port` (default: any free one). */
export async function startHttpServer(
  handler: TestHandler,
  host = "127.0.0.1",
  port = 0,
): Promise<LocalServer> {
  let state: LocalServer | undefined;
  const server = http.createServer(recording(() => state!, handler));
  state = await listen(server, host, port, "http");
  return state;
}

/** An HTTPS server whose certificate is valid only for `names`. */
export async function startHttpsServer(
  handler: TestHandler,
  tls: { key: string; cert: string },
  host = "127.0.0.1",
): Promise<LocalServer> {
  let state: LocalServer | undefined;
  const server = https.createServer(
    tls,
    recording(() => state!, handler),
  );
  state = await listen(server, host, 0, "https");
  return state;
}

/** A throwaway self-signed certificate for `dnsName` (needs the openssl CLI). */
export function selfSignedCertificate(dnsName: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "picloud-fetch-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        `/CN=${dnsName}`,
        "-addext",
        `subjectAltName=DNS:${dnsName}`,
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
