// Unit tests of the body pump: delivery to a sink from the buffered bytes, backpressure and the
// pause/resume of reading, 100 Continue, discarding, the body timeout, and failures it reports.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { type BodyHost, BodyPump } from "../../src/http/body-pump.ts";
import type { HttpError } from "../../src/http/errors.ts";
import { H1Reader } from "../../src/http/h1-reader.ts";
import type { BodySink, Request } from "../../src/http/request.ts";
import { RequestBody } from "../../src/http/request-body.ts";
import { TEST_ENGINE_OPTIONS } from "../helpers/engine-options.ts";
import { FakeTransport } from "../helpers/fake-transport.ts";

class Host implements BodyHost {
  deadline = 0;
  remoteAddress = "127.0.0.1";
  remotePort = 40000;
  localPort = 8080;
  written: string[] = [];
  discarded = 0;
  failures: HttpError[] = [];
  write(data: Buffer): boolean {
    this.written.push(data.toString("latin1"));
    return true;
  }
  bodyDiscarded(): void {
    this.discarded++;
  }
  bodyFailed(error: HttpError): void {
    this.failures.push(error);
  }
  startBody(_req: Request, _sink: BodySink): void {}
  resumeBody(_req: Request): void {}
}

class Sink implements BodySink {
  chunks: string[] = [];
  ended: readonly string[] | null = null;
  failed: Error | null = null;
  accept = true;
  data(chunk: Buffer): boolean {
    this.chunks.push(chunk.toString("latin1"));
    return this.accept;
  }
  end(trailers: readonly string[]): void {
    this.ended = trailers;
  }
  error(err: Error): void {
    this.failed = err;
  }
}

/** A pump whose reader holds `head` + `rest`, the head parsed and its body begun. */
function setUp(
  head: string,
  rest = "",
): {
  pump: BodyPump;
  reader: H1Reader;
  body: RequestBody;
  host: Host;
  transport: FakeTransport;
  req: Request;
} {
  const transport = new FakeTransport();
  const host = new Host();
  const reader = new H1Reader(transport, host, TEST_ENGINE_OPTIONS);
  const body = new RequestBody(TEST_ENGINE_OPTIONS.chunkedLimits, TEST_ENGINE_OPTIONS.maxBodyBytes);
  const pump = new BodyPump(body, reader, host, TEST_ENGINE_OPTIONS);
  reader.append(Buffer.from(head + rest));
  const req = reader.nextHead()!;
  assert.equal(reader.error, null);
  body.begin(req);
  return { pump, reader, body, host, transport, req };
}

test("a buffered Content-Length body goes to the sink whole and ends it", () => {
  const { pump, reader, host, req } = setUp("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", "hello");
  const sink = new Sink();
  pump.start(req, sink, false);
  assert.deepEqual(sink.chunks, ["hello"]);
  assert.deepEqual(sink.ended, []);
  assert.equal(reader.empty, true);
  assert.equal(host.deadline, 0, "no body timeout once the body is in");
});

test("a body still in the shared read buffer reaches the sink as a copy, the head rebased onto it", () => {
  const { pump, reader, req } = setUp("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n", "abc");
  const view = reader.buf;
  reader.view = view;
  const kept: Buffer[] = [];
  pump.start(
    req,
    {
      data: (chunk) => kept.push(chunk) > 0,
      end: () => {},
      error: () => {},
    },
    false,
  );
  view.fill(0x7a);
  assert.equal(kept[0]!.toString("latin1"), "abc");
  // The head in the same read moved onto the same copy: one copy, not one for the body and one for the head.
  assert.equal(req.raw, reader.buf);
  assert.equal(req.method, "POST");
});

test("a sink that refuses data pauses reading and the timeout; resume takes the rest", () => {
  const { pump, reader, host, transport, req } = setUp(
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    "3\r\nabc\r\n",
  );
  const sink = new Sink();
  sink.accept = false;
  pump.start(req, sink, false);
  assert.deepEqual(sink.chunks, ["abc"]);
  assert.deepEqual(transport.calls, ["pause"]);
  assert.equal(host.deadline, 0);
  sink.accept = true;
  reader.append(Buffer.from("2\r\nde\r\n0\r\n\r\n"));
  pump.received(req);
  assert.deepEqual(sink.chunks, ["abc"], "nothing is taken while paused");
  pump.resume(req);
  assert.deepEqual(sink.chunks, ["abc", "de"]);
  assert.deepEqual(sink.ended, []);
  assert.deepEqual(transport.calls, ["pause", "resume"]);
});

test("100 Continue goes out when the client waits for it, once, and not after a response head (RFC 9110 §10.1.1)", () => {
  const head = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
  const first = setUp(head);
  first.pump.start(first.req, new Sink(), false);
  assert.deepEqual(first.host.written, ["HTTP/1.1 100 Continue\r\n\r\n"]);
  assert.ok(first.host.deadline > 0, "the body timeout runs while the client sends");
  const answered = setUp(head);
  answered.pump.start(answered.req, new Sink(), true);
  assert.deepEqual(answered.host.written, []);
});

test("a route's tighter body timeout applies to a body being read, the server's to one being discarded", () => {
  const { pump, body, req } = setUp("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n");
  req.bodyTimeoutMs = 7;
  assert.equal(pump.timeoutMs(req), TEST_ENGINE_OPTIONS.bodyTimeoutMs, "not read yet");
  pump.start(req, new Sink(), false);
  assert.equal(pump.timeoutMs(req), 7);
  body.abandon();
  body.discard();
  assert.equal(pump.timeoutMs(req), TEST_ENGINE_OPTIONS.bodyTimeoutMs);
});

test("a discarded body is skipped to its end, then the host moves on", () => {
  const { pump, reader, host } = setUp("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n", "abc");
  pump.discard();
  assert.equal(host.discarded, 0);
  reader.append(Buffer.from("defGET"));
  pump.received(null);
  assert.equal(host.discarded, 1);
  assert.equal(reader.buf.toString("latin1", reader.pos), "GET", "the next request's bytes stay");
});

test("bad chunked framing and a half-close before the body's end are reported as failures", () => {
  const bad = setUp("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "zz\r\n");
  bad.pump.start(bad.req, new Sink(), false);
  assert.equal(bad.host.failures.length, 1);
  assert.equal(bad.host.failures[0]!.status, 400);
  const cut = setUp("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n", "abc");
  cut.pump.start(cut.req, new Sink(), false);
  assert.equal(cut.host.failures.length, 0);
  cut.reader.ended = true;
  cut.pump.pump(cut.req);
  assert.equal(cut.host.failures[0]?.code, "BAD_CHUNK");
});

test("a request without a body ends the sink at once", () => {
  const { pump, req } = setUp("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const sink = new Sink();
  pump.start(req, sink, false);
  assert.deepEqual(sink.ended, []);
  assert.deepEqual(sink.chunks, []);
});
