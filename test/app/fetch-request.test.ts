// The lightweight Request and its Headers (fetch-request.ts, request-headers.ts): what a standard Request
// gives, read from a parsed head; the body from the connection (here a source that hands over chunks); a
// real undici Request only when asked for.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { AppRequest } from "../../src/app/fetch-request.ts";
import { DEFAULT_PARSE_LIMITS, parseRequestHead } from "../../src/http/parse-request.ts";
import { type BodySink, Request as HttpRequest, type RequestSource } from "../../src/http/request.ts";

/** A parsed request whose body (if any) is delivered in `chunks` as soon as it is asked for. */
function requestFor(head: string, chunks: string[] = []): { request: AppRequest; engine: HttpRequest } {
  const source: RequestSource = {
    startBody(_req: HttpRequest, sink: BodySink) {
      for (const chunk of chunks) sink.data(Buffer.from(chunk));
      sink.end([]);
    },
    resumeBody() {},
    remoteAddress: "10.0.0.1",
    remotePort: 5000,
    localPort: 8080,
  };
  const engine = new HttpRequest(source);
  const bytes = Buffer.from(head, "latin1");
  const error = parseRequestHead(bytes, 0, bytes.length, DEFAULT_PARSE_LIMITS, engine);
  if (error !== null) throw new Error(error.message);
  return { request: new AppRequest(engine, { scheme: "http" }), engine };
}

test("method, full URL and fields read as a standard Request's", () => {
  const { request } = requestFor(
    "GET /a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\nAccept: text/html\r\nX-Multi: 1\r\nx-multi: 2\r\n\r\n",
  );
  const r = request as unknown as Request;
  assert.equal(r.method, "GET");
  assert.equal(r.url, "http://example.com:8080/a/b?c=d");
  assert.equal(r.headers.get("accept"), "text/html");
  assert.equal(r.headers.get("X-MULTI"), "1, 2");
  assert.equal(r.headers.get("missing"), null);
  assert.equal(r.headers.has("Host"), true);
  assert.throws(() => r.headers.get("bad name"), TypeError);
  assert.ok(r instanceof Request);
  assert.ok(r.headers instanceof Headers);
  assert.deepEqual([...r.headers.keys()], ["accept", "host", "x-multi"]);
  assert.equal(r.body, null);
  assert.equal(r.bodyUsed, false);
  assert.equal(r.mode, "cors");
});

test("the URL names a host for HTTP/1.0 requests without one, and keeps an absolute-form target's path", () => {
  assert.equal((requestFor("GET /x HTTP/1.0\r\n\r\n").request as unknown as Request).url, "http://localhost:8080/x");
  assert.equal(
    (requestFor("GET http://other.test/p?q HTTP/1.1\r\nHost: other.test\r\n\r\n").request as unknown as Request).url,
    "http://other.test/p?q",
  );
});

test("consecutive requests for the same target share the URL only when the host is the same", () => {
  const a = requestFor("GET /same HTTP/1.1\r\nHost: one.test\r\n\r\n").request as unknown as Request;
  const b = requestFor("GET /same HTTP/1.1\r\nHost: two.test\r\n\r\n").request as unknown as Request;
  const c = requestFor("GET /same HTTP/1.1\r\nHost: two.test\r\n\r\n").request as unknown as Request;
  assert.equal(a.url, "http://one.test/same");
  assert.equal(b.url, "http://two.test/same");
  assert.equal(c.url, "http://two.test/same");
});

test("fields stay readable after the head's bytes are reused, once the request was released", () => {
  const { request, engine } = requestFor("GET /r HTTP/1.1\r\nHost: h.test\r\nX-Keep: yes\r\n\r\n");
  request.release(true);
  engine.raw.fill(0x41);
  const r = request as unknown as Request;
  assert.equal(r.headers.get("x-keep"), "yes");
  assert.equal(r.url, "http://h.test/r");
  assert.deepEqual(
    [...r.headers],
    [
      ["host", "h.test"],
      ["x-keep", "yes"],
    ],
  );
});

test("text(), json() and arrayBuffer() read the body once; a second read is a TypeError", async () => {
  const json = requestFor("POST /j HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\n", ['{"a"', ":1}"]);
  assert.deepEqual(await (json.request as unknown as Request).json(), { a: 1 });
  await assert.rejects((json.request as unknown as Request).text(), TypeError);
  const bom = requestFor("POST /t HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n", ["\ufeffhi"]);
  assert.equal(await (bom.request as unknown as Request).text(), "hi");
  const bytes = requestFor("POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n", ["abc"]);
  const buffer = await (bytes.request as unknown as Request).arrayBuffer();
  assert.deepEqual(new Uint8Array(buffer), new Uint8Array([97, 98, 99]));
});

test("the body as a stream, and formData() through a real Request", async () => {
  const streamed = requestFor("POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\n", ["abc", "def"]);
  const parts: string[] = [];
  for await (const chunk of (streamed.request as unknown as Request).body!) parts.push(Buffer.from(chunk).toString());
  assert.deepEqual(parts, ["abc", "def"]);
  const form = requestFor(
    "POST /f HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\n",
    ["a=1&b=2"],
  );
  const data = await (form.request as unknown as Request).formData();
  assert.equal(data.get("b"), "2");
});

test("the signal aborts when the engine says the client went away", () => {
  const { request, engine } = requestFor("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  const signal = (request as unknown as Request).signal;
  assert.equal(signal.aborted, false);
  engine.notifyAborted();
  assert.equal(signal.aborted, true);
  assert.equal((signal.reason as DOMException).name, "AbortError");
});

test("fields asked for before the connection moves the head out of the read buffer are read from the new bytes", () => {
  const { request, engine } = requestFor("GET /m HTTP/1.1\r\nHost: h.test\r\nX-Moved: yes\r\n\r\n");
  const headers = (request as unknown as Request).headers;
  assert.equal(headers.get("x-moved"), "yes");
  // What Connection does when a request outlives its read: a copy at the same offsets, the view reused.
  const view = engine.raw;
  engine.raw = Buffer.from(view);
  view.fill(0x41);
  assert.equal(headers.get("x-moved"), "yes");
  assert.equal(headers.has("host"), true);
});
