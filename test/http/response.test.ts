// Unit tests for the protocol-neutral Response: what it decides about the head (length, whether a body
// goes out), the checks on a streamed body, and the commit order (finish event before the protocol's
// last write), seen through a wire that records its calls. The HTTP/1.1 bytes are h1-writer.test.ts's.

import assert from "node:assert/strict";
import diagnosticsChannel from "node:diagnostics_channel";
import type { Socket } from "node:net";
import { describe, test } from "node:test";
import { Request, type RequestSource } from "../../src/http/request.ts";
import {
  LENGTH_NONE,
  LENGTH_UNKNOWN,
  type OutgoingHead,
  PreparedResponse,
  Response,
  type ResponseWire,
} from "../../src/http/response.ts";

class RecordingWire implements ResponseWire {
  calls: string[] = [];
  heads: Array<Omit<OutgoingHead, "fields" | "copied" | "edits">> = [];
  pending = false;
  readonly flushed = true;
  readonly writableSize = 4096;
  sendWhole(_res: Response, head: OutgoingHead, _body: Buffer, start: number, end: number): void {
    this.#head(head);
    this.calls.push(`whole ${end - start}`);
  }
  sendText(_res: Response, head: OutgoingHead, _body: string, byteLength: number): void {
    this.#head(head);
    this.calls.push(`text ${byteLength}`);
  }
  sendPrepared(_res: Response, prepared: PreparedResponse, withBody: boolean): void {
    this.calls.push(`prepared ${prepared.status} ${withBody}`);
  }
  startHead(_res: Response, head: OutgoingHead): void {
    this.#head(head);
    this.pending = true;
    this.calls.push("head");
  }
  get headPending(): boolean {
    return this.pending;
  }
  retractHead(): void {
    this.pending = false;
    this.calls.push("retract");
  }
  flushHead(): boolean {
    this.pending = false;
    return true;
  }
  writeBody(chunk: Buffer): boolean {
    this.pending = false;
    this.calls.push(`body ${chunk.length}`);
    return true;
  }
  endBody(_res: Response, last: Buffer | undefined, trailers: readonly string[] | undefined, complete: boolean): void {
    this.calls.push(`end ${last?.length ?? 0} ${trailers?.length ?? 0} ${complete}`);
  }
  abort(): void {
    this.calls.push("abort");
  }
  detach(): { socket: Socket; buffered: Buffer } {
    throw new Error("not in this test");
  }
  onDrain(listener: () => void): void {
    listener();
  }
  #head(head: OutgoingHead): void {
    this.heads.push({ status: head.status, length: head.length, withBody: head.withBody });
  }
}

const source: RequestSource = {
  startBody() {},
  resumeBody() {},
  remoteAddress: "127.0.0.1",
  remotePort: 1,
  localPort: 2,
};

function setup(method = "GET"): { wire: RecordingWire; res: Response } {
  const req = new Request(source);
  req.method = method;
  const wire = new RecordingWire();
  return { wire, res: new Response(wire, req) };
}

describe("the head Response decides", () => {
  test("a whole body's length; HEAD keeps the length but sends no byte (RFC 9110 §9.3.2)", () => {
    const get = setup("GET");
    get.res.send(200, [], "hello");
    assert.deepEqual(get.wire.heads, [{ status: 200, length: 5, withBody: true }]);
    assert.deepEqual(get.wire.calls, ["text 5"]);
    const head = setup("HEAD");
    head.res.send(200, [], "hello");
    assert.deepEqual(head.wire.heads, [{ status: 200, length: 5, withBody: false }]);
    assert.deepEqual(head.wire.calls, ["text 0"]);
    assert.equal(head.res.bodyBytes, 0);
  });

  test("a text body's length is its UTF-8 byte count, not its string length", () => {
    const { wire, res } = setup();
    res.send(200, [], "h\u00e9llo \u2603");
    assert.deepEqual(wire.heads, [{ status: 200, length: 10, withBody: true }]);
    assert.deepEqual(wire.calls, ["text 10"]);
    assert.equal(res.bodyBytes, 10);
  });

  test("1xx, 204 and 304 have no length and no body (RFC 9110 §6.4.1)", () => {
    for (const status of [204, 304]) {
      const { wire, res } = setup();
      res.send(status, [], "ignored");
      assert.deepEqual(wire.heads, [{ status, length: LENGTH_NONE, withBody: false }]);
      assert.deepEqual(wire.calls, ["text 0"]);
    }
  });

  test("a streamed response without a length is left to the protocol to frame", () => {
    const { wire, res } = setup();
    res.writeHead(200, []);
    assert.deepEqual(wire.heads, [{ status: 200, length: LENGTH_UNKNOWN, withBody: true }]);
  });

  test("a prepared response goes out with its body only when one is due", () => {
    const prepared = new PreparedResponse(200, ["Content-Type", "text/plain"], Buffer.from("x"));
    const get = setup("GET");
    get.res.sendPrepared(prepared);
    const head = setup("HEAD");
    head.res.sendPrepared(prepared);
    assert.deepEqual([get.wire.calls, head.wire.calls], [["prepared 200 true"], ["prepared 200 false"]]);
    assert.equal(get.res.bodyBytes, 1);
    assert.equal(head.res.bodyBytes, 0);
  });

  test("a prepared response's fields are checked when it is made, and a bodiless status drops its body", () => {
    assert.throws(() => new PreparedResponse(200, ["X", "a\r\nb"], Buffer.alloc(0)));
    assert.equal(new PreparedResponse(304, [], Buffer.from("x")).body.length, 0);
  });
});

describe("a streamed body", () => {
  test("counts bytes and ends complete when the announced length was met", () => {
    const { wire, res } = setup();
    res.writeHead(200, [], 5);
    res.write(Buffer.from("abc"));
    res.end(Buffer.from("de"), ["X-Sum: 1"]);
    assert.deepEqual(wire.calls, ["head", "body 3", "end 2 1 true"]);
    assert.equal(res.bodyBytes, 5);
    assert.equal(res.finished, true);
  });

  test("a short body ends incomplete and asks for the connection to close", () => {
    const { wire, res } = setup();
    res.writeHead(200, [], 10);
    res.end(Buffer.from("abc"));
    assert.deepEqual(wire.calls, ["head", "end 3 0 false"]);
    assert.equal(res.closeRequested, true);
  });

  test("a long body throws before anything is written", () => {
    const { wire, res } = setup();
    res.writeHead(200, [], 2);
    assert.throws(() => res.write(Buffer.from("abc")), /longer/);
    assert.throws(() => res.end(Buffer.from("abc")), /longer/);
    assert.deepEqual(wire.calls, ["head"]);
  });

  test("HEAD drops body bytes and still ends complete", () => {
    const { wire, res } = setup("HEAD");
    res.writeHead(200, [], 5);
    res.write(Buffer.from("hello"));
    res.end();
    assert.deepEqual(wire.calls, ["head", "end 0 0 true"]);
    assert.equal(res.bodyBytes, 0);
  });

  test("a head not yet written can be retracted once, and a second response follows", () => {
    const { wire, res } = setup();
    res.writeHead(200, []);
    assert.equal(res.retractHead(), true);
    res.send(502, [], "x");
    assert.deepEqual(wire.calls, ["head", "retract", "text 1"]);
    assert.equal(res.retractHead(), false);
  });

  test("write before the head or after the end is a programming error", () => {
    const { res } = setup();
    assert.throws(() => res.write(Buffer.from("a")), /before writeHead/);
    res.end();
    assert.throws(() => res.write(Buffer.from("a")), /after end/);
  });
});

describe("what a writer learns from the protocol", () => {
  test("flushed and writableSize are the protocol's", () => {
    const { res } = setup();
    assert.equal(res.flushed, true);
    assert.equal(res.writableSize, 4096);
  });
});

describe("the commit step", () => {
  test("publishes the head event, then the finish event, then the protocol writes", () => {
    const order: string[] = [];
    const { wire, res } = setup();
    const onHead = (): void => void order.push(`head event (${wire.calls.length} calls)`);
    const onFinish = (m: unknown): void =>
      void order.push(`finish event ${(m as { bodyBytes: number }).bodyBytes} (${wire.calls.length} calls)`);
    diagnosticsChannel.subscribe("portico:http.response.head", onHead);
    diagnosticsChannel.subscribe("portico:http.request.finish", onFinish);
    try {
      res.send(200, [], "abc");
    } finally {
      diagnosticsChannel.unsubscribe("portico:http.response.head", onHead);
      diagnosticsChannel.unsubscribe("portico:http.request.finish", onFinish);
    }
    assert.deepEqual(order, ["head event (0 calls)", "finish event 3 (0 calls)"]);
    assert.deepEqual(wire.calls, ["text 3"]);
  });

  test("abort finishes the response incomplete, once", () => {
    const { wire, res } = setup();
    res.writeHead(200, []);
    res.abort();
    res.abort();
    assert.deepEqual(wire.calls, ["head", "abort"]);
    assert.equal(res.finished, true);
  });
});
