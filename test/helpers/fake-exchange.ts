// A request parsed from raw bytes and a response writing into memory, for unit tests of the static
// handler's parts without sockets. Not a test file itself.

import type { Socket } from "node:net";
import { DEFAULT_PARSE_LIMITS, parseRequestHead } from "../../src/http/parse-request.ts";
import { Request, type RequestSource } from "../../src/http/request.ts";
import { type H1Sink, H1Writer } from "../../src/http/h1-writer.ts";
import { Response } from "../../src/http/response.ts";

export class MemorySink implements H1Sink {
  readonly writes: Buffer[] = [];
  finished = false;
  destroyed = false;
  closing = false;
  /** The written buffers are kept as they are: never reusable. */
  readonly flushed = false;
  write(data: Buffer | string): boolean {
    this.writes.push(typeof data === "string" ? Buffer.from(data, "latin1") : data);
    return true;
  }
  outputBuffer(n: number): Buffer {
    return Buffer.allocUnsafe(n);
  }
  cork(): void {}
  uncork(): void {}
  responseDone(): void {
    this.finished = true;
  }
  onDrain(listener: () => void): void {
    setImmediate(listener);
  }
  detach(): { socket: Socket; buffered: Buffer } {
    throw new Error("not used");
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** Everything written, split into status, lower-cased headers and body. */
  parsed(): { status: number; headers: Record<string, string>; body: Buffer } {
    const all = Buffer.concat(this.writes);
    const end = all.indexOf("\r\n\r\n");
    const [line, ...fields] = all.toString("latin1", 0, end).split("\r\n");
    const headers: Record<string, string> = {};
    for (const f of fields) headers[f.slice(0, f.indexOf(":")).toLowerCase()] = f.slice(f.indexOf(":") + 1).trim();
    return { status: Number(line!.split(" ")[1]), headers, body: all.subarray(end + 4) };
  }
}

const source: RequestSource = {
  startBody() {},
  resumeBody() {},
  remoteAddress: "127.0.0.1",
  remotePort: 1,
  localPort: 2,
};

/** A request for `target` with the given fields, and a response into memory. */
export function exchangeFor(
  target: string,
  fields: Readonly<Record<string, string>> = {},
  method = "GET",
): { req: Request; res: Response; sink: MemorySink } {
  let head = `${method} ${target} HTTP/1.1\r\nHost: x\r\n`;
  for (const [name, value] of Object.entries(fields)) head += `${name}: ${value}\r\n`;
  const buf = Buffer.from(`${head}\r\n`, "latin1");
  const req = new Request(source);
  const error = parseRequestHead(buf, 0, buf.length, DEFAULT_PARSE_LIMITS, req);
  if (error !== null) throw error;
  const sink = new MemorySink();
  return { req, res: new Response(new H1Writer(sink), req), sink };
}
