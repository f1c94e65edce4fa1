// The upstream response parser: status line, fields, framing rules of RFC 9112 §6.3, strictness
// toward smuggling signals, and the same result for every split of the input.

import assert from "node:assert/strict";
import { test } from "node:test";
import { readView } from "../../src/http/arena.ts";
import type { HttpError } from "../../src/http/errors.ts";
import type { HeadScan } from "../../src/http/parse-request.ts";
import {
  BODY_CHUNKED,
  BODY_LENGTH,
  BODY_NONE,
  BODY_UNTIL_CLOSE,
  DEFAULT_RESPONSE_LIMITS,
  parseResponseHead,
  parseWholeResponseHead,
  ResponseHead,
  responseBodyKind,
  scanResponseHead,
} from "../../src/http/parse-response.ts";

function parse(text: string): ResponseHead | HttpError {
  const buf = Buffer.from(text, "latin1");
  const scan: HeadScan = { pos: 0, lineStart: 0, lines: 0 };
  const end = scanResponseHead(buf, 0, buf.length, scan, DEFAULT_RESPONSE_LIMITS);
  if (typeof end !== "number") return end;
  assert.notEqual(end, -1, "head incomplete");
  const head = new ResponseHead();
  const error = parseResponseHead(buf, 0, end, DEFAULT_RESPONSE_LIMITS, head);
  return error ?? head;
}

function ok(text: string): ResponseHead {
  const head = parse(text);
  assert.ok(head instanceof ResponseHead, `expected a head, got ${JSON.stringify(head)}`);
  return head;
}

function fails(text: string, code: string): void {
  const result = parse(text);
  assert.ok(!(result instanceof ResponseHead), "expected an error");
  assert.equal(result.status, 502);
  assert.equal(result.code, code);
}

test("parses status, reason, version and fields", () => {
  const head = ok("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nX-A: b \r\n\r\n");
  assert.equal(head.status, 404);
  assert.equal(head.reason, "Not Found");
  assert.equal(head.versionMinor, 1);
  assert.equal(head.contentLength, 5);
  assert.equal(head.fields.length, 10);
  assert.equal(responseBodyKind(head, "GET"), BODY_LENGTH);
});

test("accepts a status line without a reason, with or without the space", () => {
  assert.equal(ok("HTTP/1.1 204 \r\n\r\n").status, 204);
  assert.equal(ok("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").reason, "");
});

test("framing: chunked, length, until close, and bodiless statuses and HEAD", () => {
  assert.equal(responseBodyKind(ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), "GET"), BODY_CHUNKED);
  const closeDelimited = ok("HTTP/1.1 200 OK\r\n\r\n");
  assert.equal(responseBodyKind(closeDelimited, "GET"), BODY_UNTIL_CLOSE);
  assert.equal(responseBodyKind(ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), "GET"), BODY_NONE);
  assert.equal(responseBodyKind(ok("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"), "HEAD"), BODY_NONE);
  assert.equal(responseBodyKind(ok("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n"), "GET"), BODY_NONE);
  assert.equal(responseBodyKind(ok("HTTP/1.1 204 No Content\r\n\r\n"), "GET"), BODY_NONE);
  assert.equal(responseBodyKind(ok("HTTP/1.1 100 Continue\r\n\r\n"), "GET"), BODY_NONE);
});

test("Transfer-Encoding without chunked last is a 502: the coded body could not be labelled for the client", () => {
  fails("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "UNKNOWN_TRANSFER_CODING");
});

test("persistence follows the version and Connection (RFC 9112 §9.3)", () => {
  assert.equal(ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").keepAlive, true);
  assert.equal(ok("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keepAlive, false);
  assert.equal(ok("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keepAlive, false);
  assert.equal(ok("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").keepAlive, true);
  assert.equal(
    ok("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n").connectionUpgrade,
    true,
  );
  // Several Connection lines or tokens: every one counts, whichever line says close.
  assert.equal(
    ok("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").keepAlive,
    false,
  );
  assert.equal(
    ok("HTTP/1.0 200 OK\r\nConnection: X-Hop\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").keepAlive,
    true,
  );
  const named = ok("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nContent-Length: 0\r\n\r\n");
  assert.equal(named.keepAlive, true);
  assert.equal(named.connectionNamesFields, true);
  assert.equal(ok("HTTP/1.1 200 OK\r\nConnection: CLOSE\r\nContent-Length: 0\r\n\r\n").keepAlive, false);
});

test("smuggling signals and broken framing are refused with 502", () => {
  fails("HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", "BAD_STATUS_LINE");
  fails("HTTP/1.1 200x OK\r\nContent-Length: 0\r\n\r\n", "BAD_STATUS_LINE");
  fails(
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
    "CONTENT_LENGTH_WITH_TRANSFER_ENCODING",
  );
  fails("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "BAD_CONTENT_LENGTH");
  fails("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "BAD_CONTENT_LENGTH");
  fails("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "UNKNOWN_TRANSFER_CODING");
  fails("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", "OBS_FOLD");
  fails("HTTP/1.1 200 OK\r\nX : a\r\n\r\n", "WHITESPACE_BEFORE_COLON");
  fails("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", "BAD_HEADER_VALUE");
  fails("HTTP/2 200 OK\r\n\r\n", "BAD_STATUS_LINE");
  fails("HTTP/1.1 20 OK\r\n\r\n", "BAD_STATUS_LINE");
  fails("HTTP/1.1 200 OK\nX: y\r\n\r\n", "BAD_STATUS_LINE");
  fails("HTTP/1.1 200 OK\r\nX: y\nZ: 1\r\n", "BARE_LF");
});

test("agreeing repeated Content-Length values are accepted", () => {
  assert.equal(ok("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n").contentLength, 7);
});

test("a head that is too large is refused", () => {
  const big = `HTTP/1.1 200 OK\r\nX: ${"a".repeat(DEFAULT_RESPONSE_LIMITS.maxHeaderBytes)}\r\n\r\n`;
  fails(big, "HEADERS_TOO_LARGE");
});

test("every split of the input finds the same head end", () => {
  const text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";
  const full = Buffer.from(text, "latin1");
  for (let cut = 1; cut < full.length; cut++) {
    const scan: HeadScan = { pos: 0, lineStart: 0, lines: 0 };
    const first = scanResponseHead(full, 0, cut, scan, DEFAULT_RESPONSE_LIMITS);
    const end = first === -1 ? scanResponseHead(full, 0, full.length, scan, DEFAULT_RESPONSE_LIMITS) : first;
    assert.equal(end, full.length - 2, `cut at ${cut}`);
  }
});

test("the one-pass parse of a whole head agrees with scan + parse on every prefix, valid or not", () => {
  const heads = [
    "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nhi",
    "HTTP/1.1 204\r\n\r\n",
    "HTTP/1.0 200 OK\r\nX: a\nY: b\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX: a\rY: b\r\n\r\n",
    "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
    `HTTP/1.1 200 OK\r\nX: ${"a".repeat(DEFAULT_RESPONSE_LIMITS.maxHeaderBytes)}\r\n\r\n`,
  ];
  for (const text of heads) {
    const full = Buffer.from(text, "latin1");
    const step = full.length > 1000 ? 997 : 1;
    for (let cut = 1; cut <= full.length; cut += step) {
      const buf = Buffer.from(full.subarray(0, cut));
      const fast = new ResponseHead();
      const whole = parseWholeResponseHead(buf, 0, DEFAULT_RESPONSE_LIMITS, fast);
      const scan: HeadScan = { pos: 0, lineStart: 0, lines: 0 };
      const end = scanResponseHead(buf, 0, buf.length, scan, DEFAULT_RESPONSE_LIMITS);
      const slow = new ResponseHead();
      const valid =
        typeof end === "number" && end !== -1 && parseResponseHead(buf, 0, end, DEFAULT_RESPONSE_LIMITS, slow) === null;
      assert.equal(whole, valid, `${JSON.stringify(text.slice(0, 40))} cut at ${cut}`);
      if (whole) {
        assert.equal(fast.headEnd, end);
        assert.deepEqual(fast.fields, slow.fields);
        assert.equal(fast.contentLength, slow.contentLength);
      } else {
        assert.equal(fast.fields.length, 0);
      }
    }
  }
});

test("field values read four bytes at a time from the read area give the same verdicts as byte by byte", () => {
  // Every byte value at every position of a value, at several offsets of the head in the read.
  for (let b = 0; b < 256; b++) {
    for (let at = 0; at < 9; at++) {
      const value = Buffer.from("abcdefghijk", "latin1");
      value[at] = b;
      const text = Buffer.concat([
        Buffer.from("HTTP/1.1 200 OK\r\nX-A: ", "latin1"),
        value,
        Buffer.from("\r\nContent-Length: 0\r\n\r\n", "latin1"),
      ]);
      for (const offset of [0, 1, 3]) {
        const read = readView(offset + text.length);
        read.fill(0x20, 0, offset);
        text.copy(read, offset);
        const plain = Buffer.from(read);
        const viaWords = new ResponseHead();
        const viaBytes = new ResponseHead();
        const e1 = parseResponseHead(read, offset, read.length, DEFAULT_RESPONSE_LIMITS, viaWords);
        const e2 = parseResponseHead(plain, offset, plain.length, DEFAULT_RESPONSE_LIMITS, viaBytes);
        assert.equal(e1?.code, e2?.code, `byte ${b} at ${at}, offset ${offset}`);
        assert.deepEqual(viaWords.fields, viaBytes.fields);
        const valid = b === 0x09 || (b >= 0x20 && b !== 0x7f);
        assert.equal(e1 === null, valid, `byte ${b} at ${at} is ${valid ? "allowed" : "refused"}`);
      }
    }
  }
});
