// A request parsed from raw bytes (with a scripted body when asked) and a response writing into
// memory, for unit tests of handlers without sockets. Not a test file itself.

import type { Socket } from "node:net";
import { DEFAULT_PARSE_LIMITS, parseRequestHead } from "../../src/http/parse-request.ts";
import { type H1Sink, H1Writer } from "../../src/http/h1-writer.ts";
import { type BodySink, Request, type RequestSource } from "../../src/http/request.ts";
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

/** A request body as the connection would deliver it: chunks, one per turn, then its end or a failure. */
export interface BodyScript {
  readonly chunks: readonly Buffer[];
  /** Fail after the chunks (the client left, a framing error) instead of ending. */
  readonly fail?: Error;
}

/** Delivers a scripted body to the sink, honouring its pauses (data() false until resumeBody()). */
class ScriptedBody implements RequestSource {
  readonly remoteAddress = "127.0.0.1";
  readonly remotePort = 1;
  readonly localPort = 2;
  readonly #script: BodyScript;
  #sink: BodySink | null = null;
  #next = 0;
  #paused = false;

  constructor(script: BodyScript) {
    this.#script = script;
  }

  startBody(_request: Request, sink: BodySink): void {
    this.#sink = sink;
    setImmediate(() => this.#pump());
  }

  resumeBody(): void {
    if (!this.#paused) return;
    this.#paused = false;
    setImmediate(() => this.#pump());
  }

  #pump(): void {
    const sink = this.#sink!;
    const chunks = this.#script.chunks;
    if (this.#next < chunks.length) {
      if (!sink.data(chunks[this.#next++]!)) this.#paused = true;
      else setImmediate(() => this.#pump());
      return;
    }
    if (this.#script.fail !== undefined) sink.error(this.#script.fail);
    else sink.end([]);
  }
}

/** A request for `target` with the given fields (and `body`, if any), and a response into memory. */
export function exchangeFor(
  target: string,
  fields: Readonly<Record<string, string>> = {},
  method = "GET",
  body?: BodyScript,
): { req: Request; res: Response; sink: MemorySink } {
  let head = `${method} ${target} HTTP/1.1\r\nHost: x\r\n`;
  for (const [name, value] of Object.entries(fields)) head += `${name}: ${value}\r\n`;
  const buf = Buffer.from(`${head}\r\n`, "latin1");
  const req = new Request(body === undefined ? source : new ScriptedBody(body));
  const error = parseRequestHead(buf, 0, buf.length, DEFAULT_PARSE_LIMITS, req);
  if (error !== null) throw error;
  const sink = new MemorySink();
  return { req, res: new Response(new H1Writer(sink), req), sink };
}
