// Real upstream servers for proxy tests, started in the test process on port 0: each counts the
// requests it served and can be slowed, stopped and restarted on the same port.

import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { delay } from "./wait.ts";

export type BackendHandler = (req: http.IncomingMessage, res: http.ServerResponse, backend: Backend) => void;

export interface Backend {
  readonly name: string;
  port: number;
  /** Requests answered since start (or the last reset). */
  hits: number;
  /** Extra delay before answering, in ms. */
  delayMs: number;
  readonly server: http.Server;
  /** Closes the listener and cuts every open connection (a crash, as the proxy sees it). */
  kill(): Promise<void>;
  /** Listens again on the same port. */
  revive(): Promise<void>;
  close(): Promise<void>;
}

/** Default answer: 200 with the backend's name as body and in X-Backend, echoing method and path. */
export const nameHandler: BackendHandler = (req, res, backend) => {
  req.resume();
  req.on("end", () => {
    const body = `${backend.name} ${req.method} ${req.url}\n`;
    res.writeHead(200, {
      "Content-Type": "text/plain",
      "X-Backend": backend.name,
      "Content-Length": Buffer.byteLength(body),
    });
    res.end(req.method === "HEAD" ? undefined : body);
  });
};

export async function startBackend(name: string, handler: BackendHandler = nameHandler, port = 0): Promise<Backend> {
  const sockets = new Set<Socket>();
  const server = http.createServer({ keepAliveTimeout: 30_000 });
  const backend: Backend = {
    name,
    port,
    hits: 0,
    delayMs: 0,
    server,
    async kill() {
      server.close();
      for (const s of sockets) s.destroy();
      await delay(20);
    },
    async revive() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(backend.port, "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(() => r(undefined)));
    },
  };
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("request", (req, res) => {
    backend.hits++;
    if (backend.delayMs > 0) setTimeout(() => handler(req, res, backend), backend.delayMs);
    else handler(req, res, backend);
  });
  await backend.revive();
  backend.port = (server.address() as AddressInfo).port;
  return backend;
}

/**
 * GET with Node's own client (through a keep-alive agent when given), for load through the proxy;
 * raw bytes and exact framing are `get` in raw.ts. Resolves with status, headers and body.
 */
export function clientGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  agent?: http.Agent,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, headers, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}
