// The request body's framing on its own: Content-Length and chunked bodies taken across any split,
// delivery with backpressure, discarding, the size limit, and when an unread body may be discarded.

import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_CHUNKED_LIMITS } from "../../src/http/chunked.ts";
import { HttpError } from "../../src/http/errors.ts";
import type { BodySink } from "../../src/http/request.ts";
import { B_DISCARD, B_NONE, B_READ, B_WAIT, RequestBody } from "../../src/http/request-body.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

function sink(refuse = false): BodySink & { got: Buffer[]; ended: boolean } {
  return {
    got: [],
    ended: false,
    data(chunk) {
      this.got.push(Buffer.from(chunk));
      return !refuse;
    },
    end() {
      this.ended = true;
    },
    error() {},
  };
}

/** Feeds `bytes` in pieces of `step`; returns how many bytes the body took. */
function feed(body: RequestBody, bytes: Buffer, step: number): number | HttpError {
  let pos = 0;
  while (pos < bytes.length && !body.done) {
    const end = Math.min(bytes.length, pos + step);
    const piece = bytes.subarray(0, end);
    const taken = body.take(piece, pos, end);
    if (taken instanceof HttpError) return taken;
    pos += taken;
    if (taken === 0) break;
  }
  return pos;
}

test("a Content-Length body is taken exactly, across any split, and the rest is left", () => {
  for (const step of [1, 3, 7, 100]) {
    const { req } = exchangeFor("/u", { "Content-Length": "11" }, "POST");
    const body = new RequestBody(DEFAULT_CHUNKED_LIMITS, 1 << 20);
    body.begin(req);
    assert.equal(body.state, B_WAIT);
    assert.equal(body.consumed, false);
    const s = sink();
    body.read(s);
    const taken = feed(body, Buffer.from("hello worldGET / HTTP/1.1\r\n"), step);
    assert.equal(taken, 11);
    assert.equal(body.done, true);
    assert.equal(Buffer.concat(s.got).toString(), "hello world");
    assert.equal(body.finish(), s);
    assert.equal(body.state, B_NONE);
    assert.equal(body.consumed, true);
  }
});

test("a chunked body is decoded with its trailers; a request without a body needs no reading", () => {
  const { req } = exchangeFor("/u", { "Transfer-Encoding": "chunked" }, "POST");
  const body = new RequestBody(DEFAULT_CHUNKED_LIMITS, 1 << 20);
  body.begin(req);
  const s = sink();
  body.read(s);
  const taken = feed(body, Buffer.from("5\r\nhello\r\n1\r\n!\r\n0\r\nX-T: 1\r\n\r\n"), 4);
  assert.equal(typeof taken, "number");
  assert.equal(Buffer.concat(s.got).toString(), "hello!");
  assert.deepEqual(body.trailers, ["X-T: 1"]);
  const { req: get } = exchangeFor("/");
  body.begin(get);
  assert.equal(body.state, B_NONE);
  assert.equal(body.consumed, true);
});

test("a sink that refuses data pauses the body; finishing or abandoning clears the pause", () => {
  const { req } = exchangeFor("/u", { "Content-Length": "4" }, "POST");
  const body = new RequestBody(DEFAULT_CHUNKED_LIMITS, 1 << 20);
  body.begin(req);
  body.read(sink(true));
  assert.equal(body.take(Buffer.from("ab"), 0, 2), 2);
  assert.equal(body.paused, true);
  body.paused = false;
  assert.equal(body.take(Buffer.from("cd"), 0, 2), 2);
  assert.equal(body.paused, true);
  assert.equal(body.done, true);
  body.finish();
  assert.equal(body.paused, false);
  body.begin(req);
  body.read(sink(true));
  body.take(Buffer.from("ab"), 0, 2);
  assert.notEqual(body.abandon(), null);
  assert.equal(body.paused, false);
  assert.equal(body.consumed, false);
});

test("a discarded body goes nowhere; a chunked body over the limit is a 413", () => {
  const { req } = exchangeFor("/u", { "Transfer-Encoding": "chunked" }, "POST");
  const body = new RequestBody(DEFAULT_CHUNKED_LIMITS, 8);
  body.begin(req);
  body.discard();
  assert.equal(body.state, B_DISCARD);
  assert.equal(feed(body, Buffer.from("3\r\nabc\r\n0\r\n\r\n"), 5), 13);
  assert.equal(body.finish(), null);
  body.begin(req);
  body.read(sink());
  assert.equal(body.state, B_READ);
  const error = feed(body, Buffer.from("9\r\n123456789\r\n0\r\n\r\n"), 100);
  assert.ok(error instanceof HttpError);
  assert.equal(error.status, 413);
});

test("an unread body may be discarded when small or chunked, never with 100-continue unanswered", () => {
  const body = new RequestBody(DEFAULT_CHUNKED_LIMITS, 1 << 30);
  const small = exchangeFor("/u", { "Content-Length": "10" }, "POST").req;
  const large = exchangeFor("/u", { "Content-Length": "100000" }, "POST").req;
  const chunked = exchangeFor("/u", { "Transfer-Encoding": "chunked" }, "POST").req;
  const expecting = exchangeFor("/u", { "Content-Length": "10", Expect: "100-continue" }, "POST").req;
  body.begin(small);
  assert.equal(body.canDiscard(small, 1024), true);
  body.begin(large);
  assert.equal(body.canDiscard(large, 1024), false);
  body.begin(chunked);
  assert.equal(body.canDiscard(chunked, 1024), true);
  body.begin(expecting);
  assert.equal(body.canDiscard(expecting, 1024), false);
  body.continueSent = true;
  assert.equal(body.canDiscard(expecting, 1024), true);
  body.read(sink());
  assert.equal(body.canDiscard(expecting, 1024), false, "a body being read is not discardable");
});
