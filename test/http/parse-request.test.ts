// Unit tests for the request-head parser: one case per rule of RFC 9112 §2–§7 and RFC 9110 §5 that
// parse-request.ts enforces, plus the configurable limits. Not the connection (connection.test.ts).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HttpError } from "../../src/http/errors.ts";
import { F_HOST } from "../../src/http/headers.ts";
import {
  DEFAULT_PARSE_LIMITS,
  HEAD_INCOMPLETE,
  type HeadScan,
  type ParseLimits,
  parseRequestHead,
  scanHead,
} from "../../src/http/parse-request.ts";
import { RequestHead } from "../../src/http/request-head.ts";

/** Scans and parses `text` (latin1) as one buffer; returns the head or the error. */
function parse(
  text: string | Buffer,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): RequestHead | HttpError | "incomplete" {
  const buf = typeof text === "string" ? Buffer.from(text, "latin1") : text;
  const scan: HeadScan = { pos: 0, lineStart: 0, lines: 0 };
  const end = scanHead(buf, 0, buf.length, scan, limits);
  if (end === HEAD_INCOMPLETE) return "incomplete";
  if (end instanceof HttpError) return end;
  const head = new RequestHead();
  const error = parseRequestHead(buf, 0, end, limits, head);
  return error ?? head;
}

function ok(text: string, limits?: ParseLimits): RequestHead {
  const result = parse(text, limits);
  if (!(result instanceof RequestHead)) assert.fail(`expected a parse, got ${JSON.stringify(result)}`);
  return result;
}

function fails(text: string, status: number, code?: string, limits?: ParseLimits): HttpError {
  const result = parse(text, limits);
  if (!(result instanceof HttpError))
    assert.fail(`expected ${status}, got ${result === "incomplete" ? result : "a parse"}`);
  assert.equal(result.status, status, result.message);
  if (code !== undefined) assert.equal(result.code, code);
  return result;
}

const H = "Host: example.com\r\n";

describe("request line (RFC 9112 §3)", () => {
  test("origin-form target splits into path and query", () => {
    const head = ok(`GET /a/b?x=1&y HTTP/1.1\r\n${H}\r\n`);
    assert.equal(head.method, "GET");
    assert.equal(head.target, "/a/b?x=1&y");
    assert.equal(head.path, "/a/b");
    assert.equal(head.query, "?x=1&y");
    assert.equal(head.absoluteForm, false);
  });

  test("absolute-form target gives path, query and host from the authority (§3.2.2)", () => {
    const head = ok(`GET http://Example.org:8080/p/q?z HTTP/1.1\r\nHost: other\r\n\r\n`);
    assert.equal(head.absoluteForm, true);
    assert.equal(head.host, "Example.org:8080");
    assert.equal(head.path, "/p/q");
    assert.equal(head.query, "?z");
  });

  test("absolute-form target without a path has path /", () => {
    const head = ok(`GET https://example.org?a=1 HTTP/1.1\r\n${H}\r\n`);
    assert.equal(head.path, "/");
    assert.equal(head.query, "?a=1");
  });

  test("absolute-form target with userinfo is rejected (RFC 9110 §4.2.4)", () => {
    fails(`GET http://user@example.org/ HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET");
  });

  test("absolute-form target with an empty host is a 400 (RFC 9110 §4.2.1)", () => {
    fails(`GET http://:80/ HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET");
    fails(`GET http:///p HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET");
  });

  test("CONNECT with an empty host is a 400", () => {
    fails(`CONNECT :443 HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET");
  });

  test("absolute-form target with an unknown scheme is rejected", () => {
    fails(`GET ftp://example.org/ HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET");
  });

  test("asterisk-form is accepted for OPTIONS (§3.2.4)", () => {
    const head = ok(`OPTIONS * HTTP/1.1\r\n${H}\r\n`);
    assert.equal(head.path, "*");
    assert.equal(head.target, "*");
  });

  test("asterisk-form for another method is a 400", () => {
    fails(`GET * HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET");
  });

  test("authority-form is accepted for CONNECT (§3.2.3)", () => {
    const head = ok(`CONNECT example.org:443 HTTP/1.1\r\n${H}\r\n`);
    assert.equal(head.host, "example.org:443");
    assert.equal(head.path, "");
  });

  test("CONNECT without a port is a 400", () => {
    fails(`CONNECT example.org HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET");
  });

  test("CONNECT with an origin-form target is a 400 (§3.2.3: authority-form only)", () => {
    fails(`CONNECT /path HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET");
  });

  test("a target that is neither form is a 400", () => {
    fails(`GET example.org/ HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET");
  });

  test("a fragment in the target is a 400", () => {
    fails(`GET /a#b HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET");
  });

  test("a space inside the target is a 400", () => {
    fails(`GET /a b HTTP/1.1\r\n${H}\r\n`, 400);
  });

  test("two spaces between method and target are a 400", () => {
    fails(`GET  / HTTP/1.1\r\n${H}\r\n`, 400);
  });

  test("a control byte in the target is a 400", () => {
    fails(`GET /a\x01 HTTP/1.1\r\n${H}\r\n`, 400, "BAD_TARGET");
  });

  test("one empty line before the request line is ignored (§2.2)", () => {
    assert.equal(ok(`\r\nGET / HTTP/1.1\r\n${H}\r\n`).method, "GET");
  });

  test("several empty lines before the request line are ignored (§2.2)", () => {
    assert.equal(ok(`\r\n\r\n\r\nGET /x HTTP/1.1\r\n${H}\r\n`).path, "/x");
  });
});

describe("method (RFC 9110 §9.1)", () => {
  test("a known method is recognised", () => {
    assert.equal(ok(`DELETE / HTTP/1.1\r\n${H}\r\n`).method, "DELETE");
  });

  test("an unknown token method is accepted by the parser (the handler answers 501)", () => {
    assert.equal(ok(`BREW / HTTP/1.1\r\n${H}\r\n`).method, "BREW");
  });

  test("methods are case-sensitive", () => {
    assert.equal(ok(`get / HTTP/1.1\r\n${H}\r\n`).method, "get");
  });

  test("a method with a non-token byte is a 400", () => {
    fails(`GE(T / HTTP/1.1\r\n${H}\r\n`, 400, "BAD_METHOD");
  });

  test("an empty method is a 400", () => {
    fails(` / HTTP/1.1\r\n${H}\r\n`, 400, "BAD_METHOD");
  });
});

describe("HTTP version (RFC 9112 §2.3)", () => {
  test("HTTP/1.1 is minor 1", () => {
    assert.equal(ok(`GET / HTTP/1.1\r\n${H}\r\n`).versionMinor, 1);
  });

  test("HTTP/1.0 is minor 0 and needs no Host", () => {
    assert.equal(ok("GET / HTTP/1.0\r\n\r\n").versionMinor, 0);
  });

  test("the protocol is named as logs write it; an HTTP/2 stream's request says HTTP/2.0", () => {
    assert.equal(ok(`GET / HTTP/1.1\r\n${H}\r\n`).protocol, "HTTP/1.1");
    assert.equal(ok("GET / HTTP/1.0\r\n\r\n").protocol, "HTTP/1.0");
    const overH2 = ok(`GET / HTTP/1.1\r\n${H}\r\n`);
    overH2.versionMajor = 2;
    overH2.versionMinor = 0;
    assert.equal(overH2.protocol, "HTTP/2.0");
  });

  test("a well-formed other version is a 505", () => {
    fails(`GET / HTTP/2.0\r\n${H}\r\n`, 505, "VERSION_NOT_SUPPORTED");
    fails(`GET / HTTP/1.2\r\n${H}\r\n`, 505);
    fails(`GET / HTTP/0.9\r\n${H}\r\n`, 505);
  });

  test("a malformed version is a 400", () => {
    fails(`GET / HTTP/1.10\r\n${H}\r\n`, 400, "BAD_VERSION");
    fails(`GET / http/1.1\r\n${H}\r\n`, 400, "BAD_VERSION");
    fails(`GET / HTTP/1\r\n${H}\r\n`, 400, "BAD_VERSION");
    fails(`GET / HTTP/1.1 \r\n${H}\r\n`, 400, "BAD_VERSION");
  });

  test("a request line without a version is a 400", () => {
    fails(`GET /\r\n${H}\r\n`, 400);
  });
});

describe("field lines (RFC 9112 §5, RFC 9110 §5.5–§5.6)", () => {
  test("names keep their case, values lose surrounding whitespace", () => {
    const head = ok(`GET / HTTP/1.1\r\n${H}X-Thing:  \t a b \t \r\nEmpty:\r\n\r\n`);
    assert.deepEqual(head.headerEntries(), [
      ["Host", "example.com"],
      ["X-Thing", "a b"],
      ["Empty", ""],
    ]);
    assert.equal(head.header("x-thing"), "a b");
  });

  test("repeated fields combine with a comma", () => {
    const head = ok(`GET / HTTP/1.1\r\n${H}Accept: a\r\nAccept: b\r\n\r\n`);
    assert.equal(head.header("Accept"), "a, b");
  });

  test("obs-text bytes are allowed in a value", () => {
    assert.equal(ok(`GET / HTTP/1.1\r\n${H}X: caf\xe9\r\n\r\n`).header("x"), "caf\xe9");
  });

  test("a non-token byte in a field name is a 400", () => {
    fails(`GET / HTTP/1.1\r\n${H}X@Y: 1\r\n\r\n`, 400, "BAD_HEADER_NAME");
  });

  test("an empty field name is a 400", () => {
    fails(`GET / HTTP/1.1\r\n${H}: 1\r\n\r\n`, 400, "BAD_HEADER_NAME");
  });

  test("a line without a colon is a 400", () => {
    fails(`GET / HTTP/1.1\r\n${H}NoColon\r\n\r\n`, 400, "BAD_HEADER_NAME");
  });

  test("whitespace between name and colon is a 400 (§5.1)", () => {
    fails(`GET / HTTP/1.1\r\n${H}X-A : 1\r\n\r\n`, 400, "WHITESPACE_BEFORE_COLON");
  });

  test("obs-fold is a 400 (§5.2)", () => {
    fails(`GET / HTTP/1.1\r\n${H}X-A: 1\r\n  2\r\n\r\n`, 400, "OBS_FOLD");
  });

  test("a bare CR in a value is a 400 (§2.2)", () => {
    fails(`GET / HTTP/1.1\r\n${H}X-A: 1\r2\r\n\r\n`, 400, "BARE_CR");
  });

  test("a bare LF ending a field line is a 400 (§2.2)", () => {
    fails(`GET / HTTP/1.1\r\n${H}X-A: 1\nX-B: 2\r\n\r\n`, 400, "BARE_LF");
  });

  test("a bare LF ending the request line is a 400", () => {
    fails(`GET / HTTP/1.1\n${H}\r\n`, 400);
  });

  test("a NUL in a value is a 400 (RFC 9110 §5.5)", () => {
    fails(`GET / HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`, 400, "BAD_HEADER_VALUE");
  });

  test("a control byte (DEL) in a value is a 400", () => {
    fails(`GET / HTTP/1.1\r\n${H}X-A: a\x7fb\r\n\r\n`, 400, "BAD_HEADER_VALUE");
  });
});

describe("Content-Length (RFC 9112 §6.2, RFC 9110 §8.6)", () => {
  test("digits give the body length", () => {
    const head = ok(`POST / HTTP/1.1\r\n${H}Content-Length: 0042\r\n\r\n`);
    assert.equal(head.contentLength, 42);
    assert.equal(head.hasBody, true);
  });

  test("no Content-Length and no Transfer-Encoding means no body", () => {
    const head = ok(`POST / HTTP/1.1\r\n${H}\r\n`);
    assert.equal(head.contentLength, -1);
    assert.equal(head.hasBody, false);
  });

  test("a sign or other non-digit is a 400", () => {
    fails(`POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\n`, 400, "BAD_CONTENT_LENGTH");
    fails(`POST / HTTP/1.1\r\n${H}Content-Length: 5a\r\n\r\n`, 400, "BAD_CONTENT_LENGTH");
    fails(`POST / HTTP/1.1\r\n${H}Content-Length: 4 2\r\n\r\n`, 400, "BAD_CONTENT_LENGTH");
  });

  test("an empty Content-Length is a 400", () => {
    fails(`POST / HTTP/1.1\r\n${H}Content-Length:\r\n\r\n`, 400, "BAD_CONTENT_LENGTH");
  });

  test("conflicting duplicates are a 400", () => {
    fails(`POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 2\r\n\r\n`, 400, "CONFLICTING_CONTENT_LENGTH");
    fails(`POST / HTTP/1.1\r\n${H}Content-Length: 1, 2\r\n\r\n`, 400, "CONFLICTING_CONTENT_LENGTH");
  });

  test("identical duplicates are one length (RFC 9110 §8.6)", () => {
    assert.equal(ok(`POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\n`).contentLength, 3);
  });

  test("leading zeros do not make a Content-Length too large", () => {
    assert.equal(ok(`POST / HTTP/1.1\r\n${H}Content-Length: ${"0".repeat(20)}7\r\n\r\n`).contentLength, 7);
  });

  test("an absurdly long length is a 413", () => {
    fails(`POST / HTTP/1.1\r\n${H}Content-Length: 1000000000000000000000\r\n\r\n`, 413, "BODY_TOO_LARGE");
  });
});

describe("Transfer-Encoding (RFC 9112 §6.1, §6.3)", () => {
  test("chunked alone frames the body", () => {
    const head = ok(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: Chunked\r\n\r\n`);
    assert.equal(head.chunked, true);
    assert.equal(head.hasBody, true);
  });

  test("chunked not last is a 400", () => {
    fails(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n`, 400, "CHUNKED_NOT_LAST");
  });

  test("chunked twice is a 400", () => {
    fails(
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n`,
      400,
      "CHUNKED_NOT_LAST",
    );
  });

  test("a coding without chunked is a 400", () => {
    fails(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, 400, "CHUNKED_NOT_LAST");
  });

  test("an unknown coding under chunked is a 501", () => {
    fails(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n`, 501, "UNKNOWN_TRANSFER_CODING");
  });

  test("an empty Transfer-Encoding is a 400", () => {
    fails(`POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n\r\n`, 400);
  });

  test("Transfer-Encoding with Content-Length is a 400 that closes", () => {
    const error = fails(
      `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`,
      400,
      "CONTENT_LENGTH_WITH_TRANSFER_ENCODING",
    );
    assert.equal(error.close, true);
  });

  test("Transfer-Encoding in HTTP/1.0 is a 400 that closes", () => {
    const error = fails("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "TRANSFER_ENCODING_IN_HTTP10");
    assert.equal(error.close, true);
  });
});

describe("Host (RFC 9112 §3.2)", () => {
  test("the Host value becomes the host", () => {
    assert.equal(ok(`GET / HTTP/1.1\r\nHost: a.example:81\r\n\r\n`).host, "a.example:81");
  });

  test("an empty Host is allowed (RFC 9110 §7.2)", () => {
    assert.equal(ok("GET / HTTP/1.1\r\nHost:\r\n\r\n").host, "");
  });

  test("an IPv6 literal Host is allowed", () => {
    assert.equal(ok("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n").get(F_HOST), "[::1]:8080");
  });

  test("HTTP/1.1 without Host is a 400", () => {
    fails("GET / HTTP/1.1\r\n\r\n", 400, "MISSING_HOST");
  });

  test("HTTP/1.1 with an absolute-form target but no Host is still a 400", () => {
    fails("GET http://example.org/ HTTP/1.1\r\n\r\n", 400, "MISSING_HOST");
  });

  test("several Host fields are a 400", () => {
    fails("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, "DUPLICATE_HOST");
  });

  test("an invalid Host is a 400", () => {
    fails("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "BAD_HOST");
    fails("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "BAD_HOST");
    fails("GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", 400, "BAD_HOST");
    fails("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400, "BAD_HOST");
  });

  test("requireHost off accepts HTTP/1.1 without Host", () => {
    ok("GET / HTTP/1.1\r\n\r\n", { ...DEFAULT_PARSE_LIMITS, requireHost: false });
  });
});

describe("Connection and Expect", () => {
  test("HTTP/1.1 persists by default; close ends it (RFC 9112 §9.3)", () => {
    assert.equal(ok(`GET / HTTP/1.1\r\n${H}\r\n`).keepAlive, true);
    assert.equal(ok(`GET / HTTP/1.1\r\n${H}Connection: foo, Close\r\n\r\n`).keepAlive, false);
  });

  test("HTTP/1.0 persists only with keep-alive", () => {
    assert.equal(ok("GET / HTTP/1.0\r\n\r\n").keepAlive, false);
    assert.equal(ok("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive, true);
  });

  test("Upgrade is noted only with Connection: upgrade", () => {
    assert.equal(ok(`GET / HTTP/1.1\r\n${H}Upgrade: websocket\r\n\r\n`).upgrade, "");
    assert.equal(ok(`GET / HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`).upgrade, "websocket");
  });

  test("Expect: 100-continue is recognised in any case (RFC 9110 §10.1.1)", () => {
    assert.equal(ok(`POST / HTTP/1.1\r\n${H}Expect: 100-Continue\r\nContent-Length: 1\r\n\r\n`).expectContinue, true);
  });

  test("any other expectation is a 417", () => {
    fails(`POST / HTTP/1.1\r\n${H}Expect: 200-ok\r\n\r\n`, 417, "EXPECTATION_FAILED");
  });

  test("Expect: 100-continue in an HTTP/1.0 request is ignored (RFC 9110 §10.1.1)", () => {
    assert.equal(ok("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n").expectContinue, false);
  });
});

describe("limits", () => {
  const small: ParseLimits = {
    ...DEFAULT_PARSE_LIMITS,
    maxRequestLineBytes: 64,
    maxHeaderBytes: 256,
    maxHeaderCount: 3,
  };

  test("a request line over the limit is a 414", () => {
    fails(`GET /${"a".repeat(8192)} HTTP/1.1\r\n${H}\r\n`, 414, "URI_TOO_LONG");
  });

  test("a request line exactly at the limit passes", () => {
    const line = `GET /${"a".repeat(64 - 14)} HTTP/1.1`;
    assert.equal(line.length, 64);
    ok(`${line}\r\n${H}\r\n`, small);
    fails(`GET /${"a".repeat(64 - 13)} HTTP/1.1\r\n${H}\r\n`, 414, "URI_TOO_LONG", small);
  });

  test("a request line over its limit is a 414 even when the whole head is also over the header limit", () => {
    fails(`GET /${"a".repeat(20_000)} HTTP/1.1\r\n${H}\r\n`, 414, "URI_TOO_LONG");
    fails(`GET /${"a".repeat(300)} HTTP/1.1\r\n${H}\r\n`, 414, "URI_TOO_LONG", small);
  });

  test("a request line within its limit in a head over the header limit is a 431", () => {
    const roomy: ParseLimits = { ...small, maxRequestLineBytes: 1024 };
    fails(`GET /${"a".repeat(300)} HTTP/1.1\r\n${H}\r\n`, 431, "HEADERS_TOO_LARGE", roomy);
  });

  test("an unfinished request line over the limit is a 414 before the head ends", () => {
    fails(`GET /${"a".repeat(100)}`, 414, "URI_TOO_LONG", small);
  });

  test("a header block over the limit is a 431", () => {
    fails(`GET / HTTP/1.1\r\n${H}X: ${"b".repeat(16384)}\r\n\r\n`, 431, "HEADERS_TOO_LARGE");
    fails(`GET / HTTP/1.1\r\n${H}X: ${"b".repeat(300)}\r\n\r\n`, 431, "HEADERS_TOO_LARGE", small);
  });

  test("an unfinished header block over the limit is a 431 before the head ends", () => {
    fails(`GET / HTTP/1.1\r\n${H}X: ${"b".repeat(300)}`, 431, "HEADERS_TOO_LARGE", small);
  });

  test("more fields than allowed is a 431", () => {
    const fields = Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join("");
    fails(`GET / HTTP/1.1\r\n${H}${fields}\r\n`, 431, "TOO_MANY_HEADERS");
    fails(`GET / HTTP/1.1\r\n${H}A: 1\r\nB: 2\r\nC: 3\r\n\r\n`, 431, "TOO_MANY_HEADERS", small);
    ok(`GET / HTTP/1.1\r\n${H}A: 1\r\nB: 2\r\n\r\n`, small);
  });
});

describe("scanHead across splits", () => {
  test("every split point finds the same head end", () => {
    const text = Buffer.from(`\r\nPOST /x HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\nhi`, "latin1");
    const whole = text.length - 2;
    for (let cut = 1; cut < text.length; cut++) {
      const scan: HeadScan = { pos: 0, lineStart: 0, lines: 0 };
      let result = scanHead(text, 0, cut, scan, DEFAULT_PARSE_LIMITS);
      if (result === HEAD_INCOMPLETE) result = scanHead(text, 0, text.length, scan, DEFAULT_PARSE_LIMITS);
      assert.equal(result, whole, `cut at ${cut}`);
    }
  });

  test("a head without its final empty line is incomplete", () => {
    assert.equal(parse(`GET / HTTP/1.1\r\n${H}`), "incomplete");
  });
});

test("a path with '/.' or '/%' is flagged as possibly holding a dot segment; the query does not count", () => {
  for (const target of ["/a/../b", "/a/./b", "/a/%2e%2e/b", "/%2E", "/x/.well-known", "http://h/a/../b"]) {
    assert.equal(ok(`GET ${target} HTTP/1.1\r\n${H}\r\n`).pathMayHaveDotSegment, true, target);
  }
  for (const target of ["/1k.txt", "/a.b/c..d", "/a?x=/../y", "/a?/%2e", "http://h", "http://h?/..", "*"]) {
    const method = target === "*" ? "OPTIONS" : "GET";
    assert.equal(ok(`${method} ${target} HTTP/1.1\r\n${H}\r\n`).pathMayHaveDotSegment, false, target);
  }
});
