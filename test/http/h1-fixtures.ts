// The HTTP/1.1 writer's test fixtures: a sink that keeps what is written, a Response over it for a
// request of a given method and version, and a split of the bytes into head lines and body. Not a test.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import { type H1Sink, H1Writer } from "../../src/http/h1-writer.ts";
import { Request, type RequestSource } from "../../src/http/request.ts";
import { Response } from "../../src/http/response.ts";
import type { ResponseDefaults } from "../../src/http/response-defaults.ts";

export class FakeSink implements H1Sink {
  writes: Buffer[] = [];
  done: Array<{ keepAlive: boolean }> = [];
  closing = false;
  destroyed = false;
  /** Writes are copied. */
  readonly flushed = true;
  write(data: Buffer | string): boolean {
    this.writes.push(typeof data === "string" ? Buffer.from(data, "latin1") : Buffer.from(data));
    return true;
  }
  outputBuffer(n: number): Buffer {
    return Buffer.allocUnsafe(n);
  }
  cork(): void {}
  uncork(): void {}
  responseDone(_response: Response, keepAlive: boolean): void {
    this.done.push({ keepAlive });
  }
  onDrain(listener: () => void): void {
    listener();
  }
  detach(): { socket: Socket; buffered: Buffer } {
    throw new Error("not in this test");
  }
  destroy(): void {
    this.destroyed = true;
  }
  get text(): string {
    return Buffer.concat(this.writes).toString("latin1");
  }
}

const source: RequestSource = {
  startBody() {},
  resumeBody() {},
  remoteAddress: "127.0.0.1",
  remotePort: 1,
  localPort: 2,
};

export function setup(
  method = "GET",
  versionMinor = 1,
  keepAlive = true,
  defaults?: ResponseDefaults,
): { sink: FakeSink; res: Response } {
  const req = new Request(source);
  req.method = method;
  req.versionMinor = versionMinor;
  req.keepAlive = keepAlive;
  const sink = new FakeSink();
  return { sink, res: new Response(new H1Writer(sink, defaults), req) };
}

export function split(text: string): { head: string[]; body: string } {
  const at = text.indexOf("\r\n\r\n");
  assert.notEqual(at, -1, "head ends with an empty line");
  return { head: text.slice(0, at).split("\r\n"), body: text.slice(at + 4) };
}
