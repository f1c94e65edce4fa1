// Unit tests of the HTTP/1.1 input side: heads found across reads, the copy-out of shared-buffer views,
// stray CRLFs, framing errors, the head timeouts it sets, and read flow control.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { H1Reader, type ReaderHost } from "../../src/http/h1-reader.ts";
import type { BodySink, Request } from "../../src/http/request.ts";
import { TEST_ENGINE_OPTIONS } from "../helpers/engine-options.ts";
import { FakeTransport } from "../helpers/fake-transport.ts";

class Host implements ReaderHost {
  deadline = 0;
  remoteAddress = "127.0.0.1";
  remotePort = 40000;
  localPort = 8080;
  startBody(_req: Request, _sink: BodySink): void {}
  resumeBody(_req: Request): void {}
}

function reader(): { reader: H1Reader; host: Host; transport: FakeTransport } {
  const transport = new FakeTransport();
  const host = new Host();
  return { reader: new H1Reader(transport, host, TEST_ENGINE_OPTIONS), host, transport };
}

const GET = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";

test("a whole head in one read is returned parsed, and the reader is empty after it", () => {
  const { reader: r, host } = reader();
  assert.ok(host.deadline > 0, "the headers timeout runs from the start");
  assert.equal(r.append(Buffer.from(GET)), true);
  const req = r.nextHead();
  assert.ok(req !== null);
  assert.equal(r.error, null);
  assert.equal(req.method, "GET");
  assert.equal(req.path, "/a");
  assert.equal(r.empty, true);
  assert.equal(r.nextHead(), null);
});

test("a head split over reads is found once complete, its scan rebased onto the kept bytes", () => {
  const { reader: r } = reader();
  const bytes = Buffer.from(`${GET}GET /b HTTP/1.1\r\nHo`);
  r.append(bytes);
  assert.equal(r.nextHead()?.path, "/a");
  assert.equal(r.nextHead(), null);
  r.settle(bytes, null);
  assert.equal(r.append(Buffer.from("st: x\r\n\r\n")), false, "appended to what was unconsumed");
  const req = r.nextHead();
  assert.equal(req?.path, "/b");
  assert.equal(r.empty, true);
});

test("settle copies out unconsumed bytes and the current request's head, so a reused read buffer cannot change them", () => {
  const { reader: r } = reader();
  const shared = Buffer.from(`${GET}GET /b`);
  r.append(shared);
  const req = r.nextHead()!;
  r.settle(shared, req);
  shared.fill(0x7a);
  assert.equal(r.view, null);
  assert.notEqual(req.raw, shared);
  assert.equal(req.raw.toString("latin1", 0, 6), "GET /a");
  assert.equal(r.buf.toString("latin1", r.pos), "GET /b");
});

test("settle drops a fully consumed view without copying it", () => {
  const { reader: r } = reader();
  const shared = Buffer.from(GET);
  r.append(shared);
  r.nextHead();
  r.settle(shared, null);
  assert.equal(r.buf.length, 0);
  assert.equal(r.pos, 0);
});

test("stray CRLFs before a request line are skipped, and only they leave the reader idle (RFC 9112 §2.2)", () => {
  const { reader: r } = reader();
  r.append(Buffer.from("\r\n\r\n"));
  assert.equal(r.nextHead(), null);
  assert.equal(r.empty, true);
  r.append(Buffer.from(`\r\n${GET}`));
  assert.equal(r.nextHead()?.path, "/a");
});

test("a framing error comes with a request to answer it on", () => {
  const { reader: r } = reader();
  r.append(Buffer.from("GET /a HTTP/1.1\nHost: x\r\n\r\n"));
  const req = r.nextHead();
  assert.ok(req !== null);
  assert.equal(r.error?.status, 400);
});

test("the headers timeout runs from the previous response's end, not from a head's first byte", () => {
  const { reader: r, host } = reader();
  r.awaitHead();
  const idle = host.deadline;
  host.deadline = -1;
  r.append(Buffer.from("GET /a HT"));
  assert.equal(r.nextHead(), null);
  assert.ok(host.deadline > 0, "a started head runs under the headers timeout");
  const headers = host.deadline;
  host.deadline = -1;
  r.append(Buffer.from("TP/1.1\r\n"));
  assert.equal(r.nextHead(), null);
  assert.equal(host.deadline, -1, "more bytes of the same head do not restart it");
  assert.ok(idle > 0 && headers > 0);
});

test("once a response is done, an empty reader waits under the idle timeout", () => {
  const { reader: r, host } = reader();
  host.deadline = -1;
  assert.equal(r.nextHead(), null);
  assert.equal(host.deadline, -1, "before any response the headers timeout from accept stays");
  r.awaitHead();
  host.deadline = -1;
  assert.equal(r.nextHead(), null);
  assert.ok(host.deadline > 0);
});

test("hold pauses reading past 1 MiB buffered; waiting for a head resumes it; calls are not repeated", () => {
  const { reader: r, transport } = reader();
  r.append(Buffer.alloc((1 << 20) + 1, 0x61));
  r.hold();
  r.hold();
  assert.deepEqual(transport.calls, ["pause"]);
  r.clear();
  assert.equal(r.nextHead(), null);
  assert.deepEqual(transport.calls, ["pause", "resume"]);
});

test("takeRest hands over the unconsumed bytes as a copy and leaves the reader empty", () => {
  const { reader: r } = reader();
  const shared = Buffer.from(`${GET}PRI`);
  r.append(shared);
  r.nextHead();
  const rest = r.takeRest();
  shared.fill(0);
  assert.equal(rest.toString("latin1"), "PRI");
  assert.equal(r.empty, true);
  assert.equal(r.view, null);
});
