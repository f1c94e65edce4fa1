// A session's outgoing batch: frames and small payloads in one buffer written at once, large payloads
// by reference (one writev), and the buffer reused only once the transport has handed it to the kernel.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { FrameOutput, type OutputTransport } from "../../src/h2/output.ts";

class Recorder implements OutputTransport {
  writes: Buffer[][] = [];
  #batch: Buffer[] | null = null;
  flushed = true;
  needDrain = false;
  write(data: Buffer): boolean {
    if (this.#batch !== null) this.#batch.push(data);
    else this.writes.push([data]);
    return true;
  }
  cork(): void {
    this.#batch = [];
  }
  uncork(): void {
    this.writes.push(this.#batch!);
    this.#batch = null;
  }
}

test("small frames go out as one buffer in one write", () => {
  const out = new FrameOutput();
  const transport = new Recorder();
  out.frameHeader(3, 0, 1, 1);
  out.bytes(Buffer.from("abc"), 0, 3, true);
  out.frameHeader(0, 4, 1, 0);
  assert.equal(out.pending, 21);
  out.flush(transport);
  assert.equal(transport.writes.length, 1);
  assert.equal(transport.writes[0]!.length, 1);
  assert.equal(transport.writes[0]![0]!.toString("hex"), "000003000100000001616263000000040100000000");
  assert.equal(out.empty, true);
});

test("a large payload is sent by reference beside the frame header (one writev)", () => {
  const out = new FrameOutput();
  const transport = new Recorder();
  const body = Buffer.alloc(10_000, 7);
  out.frameHeader(body.length, 0, 1, 1);
  out.bytes(body, 0, body.length, true);
  out.flush(transport);
  assert.equal(transport.writes[0]!.length, 2);
  assert.equal(transport.writes[0]![1], body);
});

test("the buffer is refilled only when the kernel took the last batch", () => {
  const out = new FrameOutput();
  const transport = new Recorder();
  out.frameHeader(0, 4, 1, 0);
  transport.flushed = false;
  out.flush(transport);
  const first = transport.writes[0]![0]!;
  const before = first.toString("hex");
  out.frameHeader(0, 6, 0, 0);
  out.flush(transport);
  assert.equal(first.toString("hex"), before, "the pending write's bytes were not overwritten");
});
