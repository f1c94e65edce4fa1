// What Node's own HTTP server (llhttp, strict mode) makes of raw request bytes: an in-process
// http.Server on port 0 records each request's method, target, fields and body, or the parse error,
// for the differential test. Not Portico: see portico-outcome.ts.

import http from "node:http";
import net from "node:net";
import type { Message, Outcome } from "./outcome.ts";

interface Record {
  messages: Message[];
  error: string | null;
  pending: number;
  incomplete: boolean;
  upgraded: boolean;
}

export class NodeOracle {
  readonly #server: http.Server;
  readonly #records = new Map<number, Record>();
  #port = 0;

  constructor() {
    this.#server = http.createServer({
      insecureHTTPParser: false,
      requireHostHeader: true,
      joinDuplicateHeaders: false,
      keepAliveTimeout: 1000,
    });
    this.#server.on("connection", (socket: net.Socket) => {
      this.#records.set(socket.remotePort!, {
        messages: [],
        error: null,
        pending: 0,
        incomplete: false,
        upgraded: false,
      });
    });
    this.#server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      const record = this.#records.get(req.socket.remotePort!)!;
      const message = messageOf(req);
      const index = record.messages.length;
      record.messages.push(message);
      record.pending++;
      const chunks: Buffer[] = [];
      req.on("data", (d: Buffer) => chunks.push(d));
      req.on("end", () => {
        message.body = Buffer.concat(chunks).toString("latin1");
        record.pending--;
        res.end("ok");
      });
      req.on("aborted", () => {
        record.incomplete = true;
        record.messages.splice(index, 1);
      });
      req.on("error", () => {});
    });
    const takeOver = (req: http.IncomingMessage, socket: net.Socket): void => {
      const record = this.#records.get(socket.remotePort!)!;
      record.messages.push(messageOf(req));
      record.upgraded = true;
      socket.destroy();
    };
    this.#server.on("upgrade", takeOver);
    this.#server.on("connect", takeOver);
    this.#server.on("clientError", (error: NodeJS.ErrnoException, socket: net.Socket) => {
      const record = this.#records.get(socket.remotePort!);
      if (record !== undefined) {
        if (error.code === "HPE_INVALID_EOF_STATE") record.incomplete = true;
        else record.error ??= error.code ?? "ERROR";
      }
      socket.destroy();
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.#port = (this.#server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** Sends `bytes`, half-closes, waits for the server to finish with the connection. */
  async run(bytes: Buffer): Promise<Outcome> {
    const socket = net.connect({ port: this.#port, host: "127.0.0.1", allowHalfOpen: false });
    const received: Buffer[] = [];
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const localPort = socket.localPort!;
    socket.on("data", (d: Buffer) => received.push(d));
    socket.on("error", () => {});
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 3000);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end(bytes);
    });
    await new Promise((resolve) => setImmediate(resolve));
    const record = this.#records.get(localPort);
    this.#records.delete(localPort);
    const reply = Buffer.concat(received).toString("latin1");
    if (record === undefined) return { verdict: "error", detail: "no connection record", messages: [] };
    // Node answers some requests itself without a 'request' event: missing Host (400), Expect (417).
    const own = /^HTTP\/1\.1 (4\d\d)/.exec(reply);
    const ownError = own !== null && !reply.startsWith("HTTP/1.1 200") ? `status ${own[1]}` : null;
    const messages = record.messages.filter((m) => m.body !== undefined || record.upgraded);
    if (record.error !== null || ownError !== null)
      return { verdict: "error", detail: record.error ?? ownError!, messages };
    if (record.incomplete || record.pending > 0) return { verdict: "incomplete", detail: "", messages };
    return { verdict: "ok", detail: record.upgraded ? "upgrade" : "", messages };
  }
}

function messageOf(req: http.IncomingMessage): Message {
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  return { method: req.method ?? "", target: req.url ?? "", version: req.httpVersion, headers, body: undefined };
}
