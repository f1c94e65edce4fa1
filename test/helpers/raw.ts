// Raw TCP clients for black-box tests: build request bytes, send exact bytes, read exact bytes, observe
// half-close and connection close, parse responses with a minimal independent parser (not Portico's
// own). The suite's one `get` and one request builder live here.

import net from "node:net";

export interface RawResponse {
  readonly status: number;
  readonly reason: string;
  readonly version: string;
  /** Lower-cased names; repeated fields joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly rawHead: string;
  readonly body: Buffer;
}

export interface RawRequestOptions {
  /** Default GET. */
  readonly method?: string;
  /** The Host field's value (default "localhost"); "" sends none. */
  readonly host?: string;
  /** Adds `Connection: close` after Host. */
  readonly close?: boolean;
  /** Field lines in order: name → value, or raw text ("A: 1\r\nB: 2\r\n") for what a map cannot hold. */
  readonly fields?: Readonly<Record<string, string>> | string;
  /** A body: Content-Length is added unless `fields` frame the message themselves. */
  readonly body?: string;
}

/** The bytes of one HTTP/1.1 request, as text: `rawRequest("/a", { close: true })`. */
export function rawRequest(target: string, options: RawRequestOptions = {}): string {
  let head = `${options.method ?? "GET"} ${target} HTTP/1.1\r\n`;
  const host = options.host ?? "localhost";
  if (host !== "") head += `Host: ${host}\r\n`;
  if (options.close === true) head += "Connection: close\r\n";
  const fields = options.fields ?? {};
  if (typeof fields === "string") head += fields;
  else for (const [name, value] of Object.entries(fields)) head += `${name}: ${value}\r\n`;
  const body = options.body;
  if (body !== undefined && !/^(content-length|transfer-encoding):/im.test(head))
    head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  return `${head}\r\n${body ?? ""}`;
}

/** Opens a connection to 127.0.0.1:port. */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/**
 * Sends `data` (optionally half-closing after), collects everything until the server closes or
 * `timeoutMs` passes. Resolves with all bytes and whether the server closed.
 */
export async function exchange(
  port: number,
  data: string | Buffer,
  options: { end?: boolean; timeoutMs?: number } = {},
): Promise<{ bytes: Buffer; closed: boolean }> {
  const socket = await connect(port);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 2000);
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
    socket.write(data);
    if (options.end === true) socket.end();
  });
}

/**
 * Parses consecutive HTTP/1.1 responses out of `bytes`. `headRequests` marks, per response index,
 * those answering HEAD (no body regardless of Content-Length).
 */
export function parseResponses(bytes: Buffer, headRequests: ReadonlySet<number> = new Set()): RawResponse[] {
  const out: RawResponse[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const headEnd = bytes.indexOf("\r\n\r\n", pos);
    if (headEnd === -1)
      throw new Error(`incomplete response head: ${JSON.stringify(bytes.subarray(pos).toString("latin1"))}`);
    const rawHead = bytes.toString("latin1", pos, headEnd);
    const [statusLine, ...lines] = rawHead.split("\r\n");
    const m = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(statusLine!);
    if (m === null) throw new Error(`bad status line: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const status = Number(m[2]);
    pos = headEnd + 4;
    let body: Buffer = Buffer.alloc(0);
    const bodiless =
      headRequests.has(out.length) || status === 204 || status === 304 || (status >= 100 && status < 200);
    if (!bodiless) {
      if (headers["transfer-encoding"]?.toLowerCase().endsWith("chunked")) {
        const parts: Buffer[] = [];
        while (true) {
          const lineEnd = bytes.indexOf("\r\n", pos);
          if (lineEnd === -1) throw new Error("incomplete chunk size line");
          const size = Number.parseInt(bytes.toString("latin1", pos, lineEnd).split(";")[0]!, 16);
          pos = lineEnd + 2;
          if (size === 0) {
            const trailerEnd = bytes.indexOf("\r\n", pos);
            pos = trailerEnd + 2;
            break;
          }
          parts.push(bytes.subarray(pos, pos + size));
          pos += size + 2;
        }
        body = Buffer.concat(parts);
      } else if (headers["content-length"] !== undefined) {
        const length = Number(headers["content-length"]);
        body = bytes.subarray(pos, pos + length);
        if (body.length !== length) throw new Error(`body shorter than Content-Length (${body.length}/${length})`);
        pos += length;
      } else {
        body = bytes.subarray(pos);
        pos = bytes.length;
      }
    }
    out.push({ status, reason: m[3]!, version: m[1]!, headers, rawHead, body });
  }
  return out;
}

/** One request on a fresh connection (Connection: close), raw target bytes as given; the parsed response. */
export function get(
  port: number,
  target: string,
  fields: Readonly<Record<string, string>> = {},
  method = "GET",
): Promise<RawResponse & { closed: boolean }> {
  return request(port, rawRequest(target, { method, close: true, fields }), {
    head: method === "HEAD",
    timeoutMs: 5000,
  });
}

/** One request on a fresh connection; returns the single parsed response. */
export async function request(
  port: number,
  data: string | Buffer,
  options: { head?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse & { closed: boolean }> {
  const { bytes, closed } = await exchange(port, data, { timeoutMs: options.timeoutMs ?? 1500 });
  const responses = parseResponses(bytes, options.head === true ? new Set([0]) : new Set());
  if (responses.length === 0) throw new Error("no response");
  return { ...responses[0]!, closed };
}
