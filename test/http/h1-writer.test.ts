// Unit tests for HTTP/1.1's response serializer behind Response: status line and fields, framing
// (Content-Length, chunked, close-delimited), HEAD and bodiless statuses, persistence (RFC 9112 §9.3),
// prepared and copied heads, field validation.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setup, split } from "./h1-fixtures.ts";
import { FieldEdits } from "../../src/http/field-edits.ts";
import { serializeFields, wholeResponse } from "../../src/http/h1-writer.ts";
import { PreparedResponse, type Response } from "../../src/http/response.ts";
import { ResponseDefaults } from "../../src/http/response-defaults.ts";

describe("Response.send", () => {
  test("writes status line, Server, Date, fields, Content-Length and body in one write", () => {
    const { sink, res } = setup();
    res.send(200, ["Content-Type", "text/plain", "X-A", "1"], "héllo");
    assert.equal(sink.writes.length, 1);
    const { head, body } = split(sink.text);
    assert.equal(head[0], "HTTP/1.1 200 OK");
    assert.equal(head[1], "Server: portico");
    assert.match(head[2]!, /^Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    assert.deepEqual(head.slice(3), ["Content-Type: text/plain", "X-A: 1", "Content-Length: 6"]);
    assert.equal(Buffer.from(body, "latin1").toString("utf8"), "héllo");
    assert.deepEqual(sink.done, [{ keepAlive: true }]);
    assert.equal(res.finished, true);
    assert.equal(res.bodyBytes, 6);
  });

  test("HEAD gets the same fields and no body (RFC 9110 §9.3.2)", () => {
    const get = setup("GET");
    get.res.send(200, ["Content-Type", "text/plain"], "hello");
    const head = setup("HEAD");
    head.res.send(200, ["Content-Type", "text/plain"], "hello");
    assert.deepEqual(split(head.sink.text).head.slice(3), split(get.sink.text).head.slice(3));
    assert.equal(split(head.sink.text).body, "");
  });

  test("204 and 304 carry neither Content-Length nor body (RFC 9110 §6.4.1)", () => {
    for (const status of [204, 304]) {
      const { sink, res } = setup();
      res.send(status, ["ETag", '"x"'], "ignored");
      const { head, body } = split(sink.text);
      assert.ok(!head.some((l) => l.startsWith("Content-Length")), `${status}`);
      assert.equal(body, "");
    }
  });

  test("an unknown status gets an empty reason phrase", () => {
    const { sink, res } = setup();
    res.send(299, []);
    assert.equal(split(sink.text).head[0], "HTTP/1.1 299 ");
  });

  test("HTTP/1.0 with keep-alive is answered with Connection: keep-alive", () => {
    const { sink, res } = setup("GET", 0, true);
    res.send(200, [], "x");
    assert.ok(split(sink.text).head.includes("Connection: keep-alive"));
    assert.deepEqual(sink.done, [{ keepAlive: true }]);
  });

  test("HTTP/1.0 without keep-alive is answered with Connection: close", () => {
    const { sink, res } = setup("GET", 0, false);
    res.send(200, [], "x");
    assert.ok(split(sink.text).head.includes("Connection: close"));
    assert.deepEqual(sink.done, [{ keepAlive: false }]);
  });

  test("closeAfter sends Connection: close and ends the connection", () => {
    const { sink, res } = setup();
    res.closeAfter();
    res.send(400, [], "bad");
    assert.ok(split(sink.text).head.includes("Connection: close"));
    assert.deepEqual(sink.done, [{ keepAlive: false }]);
  });

  test("a closing server sends Connection: close", () => {
    const { sink, res } = setup();
    sink.closing = true;
    res.send(200, [], "x");
    assert.ok(split(sink.text).head.includes("Connection: close"));
  });

  test("a second head is refused", () => {
    const { res } = setup();
    res.send(200, []);
    assert.throws(() => res.send(200, []), /already sent/);
  });
});

describe("Response streaming", () => {
  test("unknown length in HTTP/1.1 is chunked, ending with the last chunk", () => {
    const { sink, res } = setup();
    res.writeHead(200, ["Content-Type", "text/plain"]);
    assert.equal(sink.writes.length, 0, "the head waits for the first body bytes");
    res.write(Buffer.from("abc"));
    res.write(Buffer.from("0123456789abcdef"));
    res.end();
    const { head, body } = split(sink.text);
    assert.ok(head.includes("Transfer-Encoding: chunked"));
    assert.equal(body, "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n");
    assert.deepEqual(sink.done, [{ keepAlive: true }]);
    assert.equal(res.bodyBytes, 19);
  });

  test("unknown length in HTTP/1.0 is close-delimited (RFC 9112 §6.3)", () => {
    const { sink, res } = setup("GET", 0, true);
    res.writeHead(200, []);
    res.write(Buffer.from("abc"));
    res.end(Buffer.from("def"));
    const { head, body } = split(sink.text);
    assert.ok(head.includes("Connection: close"));
    assert.ok(!head.some((l) => l.startsWith("Transfer-Encoding") || l.startsWith("Content-Length")));
    assert.equal(body, "abcdef");
    assert.deepEqual(sink.done, [{ keepAlive: false }]);
  });

  test("a known length is sent as Content-Length", () => {
    const { sink, res } = setup();
    res.writeHead(200, [], 6);
    res.write(Buffer.from("abc"));
    res.end(Buffer.from("def"));
    const { head, body } = split(sink.text);
    assert.ok(head.includes("Content-Length: 6"));
    assert.equal(body, "abcdef");
    assert.deepEqual(sink.done, [{ keepAlive: true }]);
  });

  test("a body shorter than its Content-Length closes the connection", () => {
    const { sink, res } = setup();
    res.writeHead(200, [], 10);
    res.end(Buffer.from("abc"));
    assert.deepEqual(sink.done, [{ keepAlive: false }]);
  });

  test("a body longer than its Content-Length throws", () => {
    const { res } = setup();
    res.writeHead(200, [], 2);
    assert.throws(() => res.write(Buffer.from("abc")), /longer/);
  });

  test("HEAD with a streamed response sends the head only", () => {
    const { sink, res } = setup("HEAD");
    res.writeHead(200, [], 5);
    res.write(Buffer.from("hello"));
    res.end();
    const { head, body } = split(sink.text);
    assert.ok(head.includes("Content-Length: 5"));
    assert.equal(body, "");
  });

  test("end() without writeHead sends an empty 200", () => {
    const { sink, res } = setup();
    res.end();
    const { head, body } = split(sink.text);
    assert.equal(head[0], "HTTP/1.1 200 OK");
    assert.ok(head.includes("Content-Length: 0"));
    assert.equal(body, "");
  });

  test("abort destroys the connection and finishes the response", () => {
    const { sink, res } = setup();
    res.writeHead(200, []);
    res.abort();
    assert.equal(sink.destroyed, true);
    assert.equal(res.finished, true);
  });
});

describe("PreparedResponse", () => {
  test("holds the whole response and serves HEAD without the body", () => {
    const prepared = new PreparedResponse(200, ["Content-Type", "text/html"], Buffer.from("<p>hi</p>"));
    const get = setup("GET");
    get.res.sendPrepared(prepared);
    const { head, body } = split(get.sink.text);
    assert.equal(head[0], "HTTP/1.1 200 OK");
    assert.ok(head.includes("Content-Length: 9"));
    assert.equal(body, "<p>hi</p>");
    const head2 = setup("HEAD");
    head2.res.sendPrepared(prepared);
    assert.equal(split(head2.sink.text).body, "");
    assert.deepEqual(split(head2.sink.text).head.slice(3), head.slice(3));
  });

  test("variants carry the Connection line the request needs", () => {
    const prepared = new PreparedResponse(200, [], Buffer.from("x"));
    const old = setup("GET", 0, true);
    old.res.sendPrepared(prepared);
    assert.ok(split(old.sink.text).head.includes("Connection: keep-alive"));
    const closing = setup("GET", 1, false);
    closing.res.sendPrepared(prepared);
    assert.ok(split(closing.sink.text).head.includes("Connection: close"));
    assert.deepEqual(closing.sink.done, [{ keepAlive: false }]);
  });
});

describe("default fields", () => {
  test("a defaults object's fields follow the status line in every kind of head", () => {
    const defaults = new ResponseDefaults(["Server", "portico", "Strict-Transport-Security", "max-age=63072000"]);
    const prepared = new PreparedResponse(200, ["Content-Type", "text/plain"], Buffer.from("x"));
    const copied = { raw: Buffer.alloc(0), lines: [], count: 0, extra: Buffer.alloc(0) };
    const heads = [
      (res: Response) => res.send(200, [], "x"),
      (res: Response) => res.sendPrepared(prepared),
      (res: Response) => res.sendCopied(200, copied, Buffer.from("x")),
      (res: Response) => res.end(Buffer.from("x")),
    ];
    for (const answer of heads) {
      const { sink, res } = setup("GET", 1, true, defaults);
      answer(res);
      const { head } = split(sink.text);
      assert.deepEqual(head.slice(1, 3), ["Server: portico", "Strict-Transport-Security: max-age=63072000"]);
      assert.match(head[3]!, /^Date: /);
    }
  });

  test("a whole response made outside any Response (load shedding) has them too and closes", () => {
    const text = wholeResponse(503, ["Retry-After", "1"], "busy\n").toString("latin1");
    assert.match(text, /^HTTP\/1\.1 503 Service Unavailable\r\nServer: portico\r\nDate: .*\r\nRetry-After: 1\r\n/);
    assert.ok(text.endsWith("Content-Length: 5\r\nConnection: close\r\n\r\nbusy\n"));
  });

  test("a default field that could split a head is refused when the defaults are made", () => {
    assert.throws(() => new ResponseDefaults(["X", "a\r\nb"]));
  });
});

describe("serializeFields", () => {
  test("refuses CR, LF or NUL in a value (response splitting)", () => {
    assert.throws(() => serializeFields(["X", "a\r\nSet-Cookie: x"]));
    assert.throws(() => serializeFields(["X", "a\nb"]));
    assert.throws(() => serializeFields(["X", "a\0b"]));
  });

  test("refuses a name that is not a token", () => {
    assert.throws(() => serializeFields(["X Y", "1"]));
    assert.throws(() => serializeFields(["X:", "1"]));
  });

  test("writes name: value lines", () => {
    assert.equal(serializeFields(["A", "1", "B", ""]), "A: 1\r\nB: \r\n");
  });
});

describe("Response.sendCopied / writeHeadCopied", () => {
  // One run of two adjacent field lines (Content-Type, ETag): byte ranges of `raw`, CRLF excluded; the
  // pair past `count` is a stale one from a reused list and must be ignored.
  const raw = Buffer.from('X: 0\r\nContent-Type: text/plain\r\nETag: "e"\r\nX-Skip: 1\r\n', "latin1");
  const fields = { raw, lines: [6, 41, 99, 99], count: 2, extra: Buffer.from("Via: 1.1 portico\r\n", "latin1") };

  test("copies the field runs as bytes, then Via, Content-Length and the body, in one write", () => {
    const { sink, res } = setup();
    res.sendCopied(200, fields, Buffer.from("0123456789"));
    assert.equal(sink.writes.length, 1);
    const { head, body } = split(sink.text);
    assert.equal(head[0], "HTTP/1.1 200 OK");
    assert.deepEqual(head.slice(3), [
      "Content-Type: text/plain",
      'ETag: "e"',
      "Via: 1.1 portico",
      "Content-Length: 10",
    ]);
    assert.equal(body, "0123456789");
    assert.deepEqual(sink.done, [{ keepAlive: true }]);
  });

  test("a reason phrase given with the fields names a status the engine has none for", () => {
    const { sink, res } = setup();
    res.sendCopied(599, { ...fields, reason: "Network Thing" }, Buffer.from("x"));
    assert.equal(split(sink.text).head[0], "HTTP/1.1 599 Network Thing");
  });

  test("the body is copied before sendCopied returns: the caller may reuse its buffer at once", () => {
    const { sink, res } = setup();
    const reused = Buffer.from("0123456789");
    res.sendCopied(200, fields, reused);
    reused.fill(0x78);
    assert.equal(split(sink.text).body, "0123456789");
  });

  test("HEAD keeps the length but sends no body; 304 has neither; HTTP/1.0 says keep-alive", () => {
    const head = setup("HEAD");
    head.res.sendCopied(200, fields, Buffer.from("abc"));
    assert.ok(head.sink.text.endsWith("Content-Length: 3\r\n\r\n"));
    const notModified = setup();
    notModified.res.sendCopied(304, fields, Buffer.alloc(0));
    assert.ok(!notModified.sink.text.includes("Content-Length"));
    const old = setup("GET", 0, true);
    old.res.sendCopied(200, fields, Buffer.alloc(1234));
    assert.match(old.sink.text, /Content-Length: 1234\r\nConnection: keep-alive\r\n\r\n/);
  });

  test("trailers follow a chunked body's last chunk; a body framed by its length has no place for them", () => {
    const chunked = setup();
    chunked.res.writeHeadCopied(200, fields);
    chunked.res.write(Buffer.from("ab"));
    chunked.res.end(undefined, ["X-Sum: 1", "Server-Timing: db;dur=5"]);
    assert.ok(
      chunked.sink.text.endsWith("2\r\nab\r\n0\r\nX-Sum: 1\r\nServer-Timing: db;dur=5\r\n\r\n"),
      chunked.sink.text,
    );
    const sized = setup();
    sized.res.writeHeadCopied(200, fields, 2);
    sized.res.end(Buffer.from("ab"), ["X-Sum: 1"]);
    assert.ok(sized.sink.text.endsWith("\r\n\r\nab"), sized.sink.text);
  });

  test("a head not yet on the socket can be taken back for another response; once a byte went, not", () => {
    const { sink, res } = setup();
    res.writeHeadCopied(200, fields);
    assert.equal(res.retractHead(), true);
    res.send(502, ["Content-Type", "text/plain"], "Bad Gateway\n");
    assert.match(sink.text, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.ok(!sink.text.includes("200 OK"));
    const started = setup();
    started.res.writeHeadCopied(200, fields);
    started.res.write(Buffer.from("a"));
    assert.equal(started.res.retractHead(), false);
  });

  test("a streamed copied head frames like writeHead: chunked without a length", () => {
    const { sink, res } = setup();
    res.writeHeadCopied(502, fields);
    res.write(Buffer.from("ab"));
    res.end();
    const { head, body } = split(sink.text);
    assert.equal(head[0], "HTTP/1.1 502 Bad Gateway");
    assert.ok(head.includes("Transfer-Encoding: chunked"));
    assert.ok(head.includes("Content-Type: text/plain"));
    assert.equal(body, "2\r\nab\r\n0\r\n\r\n");
  });
});

describe("field edits (a site's or route's headers)", () => {
  const edits = new FieldEdits([["X-Frame-Options", "DENY"]], [["Vary", "Origin"]], ["server", "x-powered-by"]);

  test("a string head loses the removed and replaced fields and the defaults they name, and gains the edits'", () => {
    const { sink, res } = setup();
    res.edits = edits;
    res.send(200, ["X-Powered-By", "php", "X-Frame-Options", "SAMEORIGIN", "Vary", "Accept"], "x");
    const { head } = split(sink.text);
    assert.equal(head[0], "HTTP/1.1 200 OK");
    assert.match(head[1]!, /^Date: /);
    assert.deepEqual(head.slice(2), ["Vary: Accept", "X-Frame-Options: DENY", "Vary: Origin", "Content-Length: 1"]);
  });

  test("a streamed head is edited the same way", () => {
    const { sink, res } = setup();
    res.edits = edits;
    res.writeHead(200, ["Content-Type", "text/plain"]);
    res.end(Buffer.from("abc"));
    const { head } = split(sink.text);
    assert.deepEqual(head.slice(2), [
      "Content-Type: text/plain",
      "X-Frame-Options: DENY",
      "Vary: Origin",
      "Transfer-Encoding: chunked",
    ]);
  });

  test("copied upstream lines are dropped one by one inside a run, the edits' lines follow the extra ones", () => {
    const raw = Buffer.from("X-Powered-By: php\r\nContent-Type: text/plain\r\nX-Frame-Options: ALLOW\r\n", "latin1");
    const fields = { raw, lines: [0, raw.length - 2], count: 2, extra: Buffer.from("Via: 1.1 portico\r\n", "latin1") };
    const { sink, res } = setup();
    res.edits = edits;
    res.sendCopied(200, fields, Buffer.from("body"));
    assert.equal(sink.writes.length, 1);
    const { head, body } = split(sink.text);
    assert.deepEqual(head.slice(2), [
      "Content-Type: text/plain",
      "Via: 1.1 portico",
      "X-Frame-Options: DENY",
      "Vary: Origin",
      "Content-Length: 4",
    ]);
    assert.equal(body, "body");
  });

  test("a prepared response is encoded once per second and edits object: later sends write the same buffer", () => {
    const prepared = new PreparedResponse(
      200,
      ["Content-Type", "text/html", "X-Frame-Options", "x"],
      Buffer.from("hi"),
    );
    const first = setup();
    first.res.edits = edits;
    first.res.sendPrepared(prepared);
    const second = setup();
    second.res.edits = edits;
    second.res.sendPrepared(prepared);
    const plain = setup();
    plain.res.sendPrepared(prepared);
    assert.equal(first.sink.writes.length, 1);
    assert.deepEqual(split(first.sink.text).head.slice(2), [
      "Content-Type: text/html",
      "X-Frame-Options: DENY",
      "Vary: Origin",
      "Content-Length: 2",
    ]);
    const undated = (text: string): string => text.replace(/Date: [^\r]*\r\n/, "");
    assert.equal(undated(second.sink.text), undated(first.sink.text), "the same edited bytes");
    const { head } = split(plain.sink.text);
    assert.equal(head[1], "Server: portico", "the unedited encoding is kept apart");
    assert.ok(head.includes("X-Frame-Options: x"));
  });

  test("HEAD of an edited prepared response sends the edited head without the body", () => {
    const prepared = new PreparedResponse(200, [], Buffer.from("hello"));
    const { sink, res } = setup("HEAD");
    res.edits = edits;
    res.sendPrepared(prepared);
    const { head, body } = split(sink.text);
    assert.equal(body, "");
    assert.ok(head.includes("Content-Length: 5"));
    assert.ok(head.includes("X-Frame-Options: DENY"));
  });

  test("edits that keep the defaults leave Server in place; setting Server replaces it", () => {
    const keep = setup();
    keep.res.edits = new FieldEdits([["X-A", "1"]], [], []);
    keep.res.send(204, []);
    assert.equal(split(keep.sink.text).head[1], "Server: portico");
    const own = setup();
    own.res.edits = new FieldEdits([["Server", "shop"]], [], []);
    own.res.send(204, []);
    const { head } = split(own.sink.text);
    assert.match(head[1]!, /^Date: /);
    assert.deepEqual(head.slice(2), ["Server: shop"]);
  });
});
