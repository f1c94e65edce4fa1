// Header rewriting: hop-by-hop removal (named ones too), forwarding fields appended, Via, Host and
// prefix rewriting, framing re-declared, and the response side.

import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_PARSE_LIMITS, parseRequestHead } from "../../src/http/parse-request.ts";
import { DEFAULT_RESPONSE_LIMITS, parseResponseHead, ResponseHead } from "../../src/http/parse-response.ts";
import { RequestHead } from "../../src/http/request-head.ts";
import {
  buildRequestHead,
  copiedResponseFields,
  type ForwardPlan,
  isForwardableTrailer,
  normalizePath,
  rewritePath,
  switchingProtocolsHead,
} from "../../src/proxy/forward.ts";

function request(text: string): RequestHead {
  const buf = Buffer.from(text, "latin1");
  const head = new RequestHead();
  const error = parseRequestHead(buf, 0, buf.length, DEFAULT_PARSE_LIMITS, head);
  assert.equal(error, null);
  return head;
}

const PLAN: ForwardPlan = {
  clientAddress: "10.0.0.9",
  proto: "http",
  prefix: "/",
  basePath: null,
  host: null,
  upstreamAuthority: "127.0.0.1:9000",
  upgrade: true,
};

test("removes hop-by-hop fields, including those named in Connection", () => {
  const head = buildRequestHead(
    request(
      "GET /a?b=1 HTTP/1.1\r\nHost: site\r\nConnection: keep-alive, X-Secret\r\nKeep-Alive: 5\r\nTE: trailers\r\nX-Secret: 1\r\nProxy-Authorization: x\r\nAccept: */*\r\n\r\n",
    ),
    PLAN,
  ).toString("latin1");
  assert.match(head, /^GET \/a\?b=1 HTTP\/1\.1\r\nHost: site\r\nAccept: \*\/\*\r\n/);
  for (const gone of ["Connection", "Keep-Alive", "TE:", "X-Secret", "Proxy-Authorization"])
    assert.ok(!head.includes(gone), gone);
  assert.ok(head.endsWith("\r\n\r\n"));
});

test("Host named in Connection is kept: it is never hop-by-hop", () => {
  const head = buildRequestHead(
    request("GET /x HTTP/1.1\r\nHost: h\r\nConnection: host, close\r\n\r\n"),
    PLAN,
  ).toString("latin1");
  assert.match(head, /\r\nHost: h\r\n/);
  assert.equal(head.match(/\r\nHost:/gi)?.length, 1);
});

test("appends X-Forwarded-*, Forwarded and Via to what the client sent", () => {
  const head = buildRequestHead(
    request(
      "GET / HTTP/1.1\r\nHost: site:8080\r\nX-Forwarded-For: 1.2.3.4\r\nVia: 1.0 edge\r\nForwarded: for=1.2.3.4\r\n\r\n",
    ),
    { ...PLAN, clientAddress: "::1" },
  ).toString("latin1");
  assert.match(head, /\r\nX-Forwarded-For: 1\.2\.3\.4, ::1\r\n/);
  assert.match(head, /\r\nX-Forwarded-Proto: http\r\n/);
  assert.match(head, /\r\nX-Forwarded-Host: site:8080\r\n/);
  assert.match(head, /\r\nForwarded: for=1\.2\.3\.4, for="\[::1\]";host="site:8080";proto=http\r\n/);
  assert.match(head, /\r\nVia: 1\.0 edge, 1\.1 portico\r\n/);
});

test("a client's X-Forwarded-Proto and X-Forwarded-Host are replaced, not appended to (they would be trusted first)", () => {
  const head = buildRequestHead(
    request("GET / HTTP/1.1\r\nHost: site\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n\r\n"),
    PLAN,
  ).toString("latin1");
  assert.match(head, /\r\nX-Forwarded-Proto: http\r\n/);
  assert.match(head, /\r\nX-Forwarded-Host: site\r\n/);
  assert.ok(!head.includes("https") && !head.includes("evil.example"), head);
});

test("forwarding fields the client named in Connection are dropped before ours are added (RFC 9110 §7.6.1)", () => {
  const head = buildRequestHead(
    request(
      "GET / HTTP/1.1\r\nHost: site\r\nConnection: X-Forwarded-For, via\r\nX-Forwarded-For: 6.6.6.6\r\nVia: 1.1 forged\r\n\r\n",
    ),
    PLAN,
  ).toString("latin1");
  assert.match(head, /\r\nX-Forwarded-For: 10\.0\.0\.9\r\n/);
  assert.match(head, /\r\nVia: 1\.1 portico\r\n/);
  assert.ok(!head.includes("6.6.6.6") && !head.includes("forged"), head);
  const response = responseHead("HTTP/1.1 200 OK\r\nConnection: Via\r\nVia: 1.1 hidden\r\nContent-Length: 0\r\n\r\n");
  assert.equal(copiedText(response), "Via: 1.1 portico\r\n");
});

test("Via names the version each message was received in (RFC 9110 §7.6.3)", () => {
  const old = buildRequestHead(request("GET / HTTP/1.0\r\nHost: site\r\n\r\n"), PLAN).toString("latin1");
  assert.match(old, /\r\nVia: 1\.0 portico\r\n/);
  const current = buildRequestHead(request("GET / HTTP/1.1\r\nHost: site\r\n\r\n"), PLAN).toString("latin1");
  assert.match(current, /\r\nVia: 1\.1 portico\r\n/);
  // A request that came on an HTTP/2 stream: its protocol-version is "2"; the block cached for the
  // HTTP/1.1 request just before must not be reused.
  const overH2 = request("GET / HTTP/1.1\r\nHost: site\r\n\r\n");
  overH2.versionMajor = 2;
  overH2.versionMinor = 0;
  assert.match(buildRequestHead(overH2, PLAN).toString("latin1"), /\r\nVia: 2 portico\r\n/);
  const withVia = request("GET / HTTP/1.1\r\nHost: site\r\nVia: 1.1 edge\r\n\r\n");
  withVia.versionMajor = 2;
  withVia.versionMinor = 0;
  assert.match(buildRequestHead(withVia, PLAN).toString("latin1"), /\r\nVia: 1\.1 edge, 2 portico\r\n/);
  assert.equal(copiedText(responseHead("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")), "Via: 1.0 portico\r\n");
  assert.equal(
    copiedText(responseHead("HTTP/1.0 200 OK\r\nVia: 1.1 edge\r\nContent-Length: 0\r\n\r\n")),
    "Via: 1.1 edge, 1.0 portico\r\n",
  );
});

test("rewrites Host to the upstream when asked, and supplies one for HTTP/1.0", () => {
  const rewritten = buildRequestHead(request("GET / HTTP/1.1\r\nHost: site\r\n\r\n"), {
    ...PLAN,
    host: "127.0.0.1:9000",
  }).toString("latin1");
  assert.match(rewritten, /\r\nHost: 127\.0\.0\.1:9000\r\n/);
  assert.ok(!rewritten.includes("\r\nHost: site"));
  const old = buildRequestHead(request("GET / HTTP/1.0\r\n\r\n"), PLAN).toString("latin1");
  assert.match(old, /^GET \/ HTTP\/1\.1\r\n/);
  assert.match(old, /\r\nHost: 127\.0\.0\.1:9000\r\n/);
});

test("re-declares framing and drops Expect (100 Continue is answered by the engine)", () => {
  const chunked = buildRequestHead(
    request("POST / HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"),
    PLAN,
  ).toString("latin1");
  assert.match(chunked, /\r\nTransfer-Encoding: chunked\r\n/);
  assert.ok(!chunked.includes("Expect"));
  const sized = buildRequestHead(request("PUT / HTTP/1.1\r\nHost: s\r\nContent-Length: 12\r\n\r\n"), PLAN).toString(
    "latin1",
  );
  assert.match(sized, /\r\nContent-Length: 12\r\n/);
});

test("forwards an upgrade request with Connection: upgrade", () => {
  const head = buildRequestHead(
    request("GET /ws HTTP/1.1\r\nHost: s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n"),
    PLAN,
  ).toString("latin1");
  assert.match(head, /\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n$/);
  assert.match(head, /\r\nSec-WebSocket-Key: k\r\n/);
});

test("prefix stripping follows nginx proxy_pass: the URL's path replaces the prefix", () => {
  assert.equal(rewritePath("/api/users", "/api", "/"), "/users");
  assert.equal(rewritePath("/api/users", "/api/", "/v1/"), "/v1/users");
  assert.equal(rewritePath("/api", "/api", "/v1"), "/v1", "the prefix alone becomes the path exactly, no slash added");
  assert.equal(rewritePath("/r", "/r", "/raw/reset"), "/raw/reset");
  assert.equal(rewritePath("/api/", "/api/", "/v1/"), "/v1/");
  assert.equal(rewritePath("/api/users", "/api", null), "/api/users");
  const head = buildRequestHead(request("GET /api/x?q HTTP/1.1\r\nHost: s\r\n\r\n"), {
    ...PLAN,
    prefix: "/api",
    basePath: "/",
  }).toString("latin1");
  assert.match(head, /^GET \/x\?q HTTP\/1\.1\r\n/);
});

function responseHead(text: string): ResponseHead {
  const buf = Buffer.from(text, "latin1");
  const head = new ResponseHead();
  assert.equal(parseResponseHead(buf, 0, buf.length, DEFAULT_RESPONSE_LIMITS, head), null);
  return head;
}

/** The field lines copiedResponseFields keeps, then its added line, as text. */
function copiedText(head: ResponseHead): string {
  const { raw, lines, count, extra } = copiedResponseFields(head);
  let out = "";
  for (let k = 0; k < count; k += 2) out += `${raw.toString("latin1", lines[k], lines[k + 1])}\r\n`;
  return out + extra.toString("latin1");
}

test("response fields lose hop-by-hop fields, framing, Date and Server, and gain Via", () => {
  const head = responseHead(
    "HTTP/1.1 200 OK\r\nDate: x\r\nServer: up\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 1\r\nContent-Length: 3\r\nSet-Cookie: a=1\r\nTrailer: X-Sum\r\nProxy-Authenticate: Basic\r\nSet-Cookie: b=2\r\n\r\n",
  );
  assert.equal(copiedText(head), "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nVia: 1.1 portico\r\n");
});

test("an upstream's Via is merged into the one Via line sent to the client (RFC 9110 §7.6.3)", () => {
  const head = responseHead(
    "HTTP/1.1 200 OK\r\nvia: 1.0 cache\r\nX-A: 1\r\nVia: 1.1 edge\r\nContent-Length: 0\r\n\r\n",
  );
  assert.equal(copiedText(head), "X-A: 1\r\nVia: 1.0 cache, 1.1 edge, 1.1 portico\r\n");
});

test("an unregistered status keeps the upstream's reason phrase; a registered one gets ours", () => {
  assert.equal(
    copiedResponseFields(responseHead("HTTP/1.1 599 Network Thing\r\nContent-Length: 0\r\n\r\n")).reason,
    "Network Thing",
  );
  assert.equal(copiedResponseFields(responseHead("HTTP/1.1 200 Fine By Me\r\nContent-Length: 0\r\n\r\n")).reason, "");
});

test("a relayed 101 keeps the upstream's fields and its Upgrade, without hop-by-hop ones", () => {
  const head = responseHead(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade, X-Hop\r\nX-Hop: 1\r\nSec-WebSocket-Accept: abc=\r\nDate: x\r\n\r\n",
  );
  assert.equal(
    switchingProtocolsHead(head).toString("latin1"),
    "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: abc=\r\nVia: 1.1 portico\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
  );
});

test("an absolute-form target's authority becomes the Host sent upstream (RFC 9112 §3.2.2)", () => {
  const head = buildRequestHead(request("GET http://real.example/x HTTP/1.1\r\nHost: other\r\n\r\n"), PLAN).toString(
    "latin1",
  );
  assert.match(head, /^GET \/x HTTP\/1\.1\r\n/);
  assert.match(head, /\r\nHost: real\.example\r\n/);
  assert.ok(!head.includes("Host: other"));
});

test("framing and routing fields never travel as trailers; others do", () => {
  for (const line of [
    "Transfer-Encoding: chunked",
    "content-length: 5",
    "Host: evil",
    "Connection: close",
    "TE: trailers",
    "Trailer: x",
  ]) {
    assert.equal(isForwardableTrailer(line), false, line);
  }
  for (const line of ["X-Checksum: abc", "Server-Timing: db;dur=53"])
    assert.equal(isForwardableTrailer(line), true, line);
});

test("a path routed by its canonical form is rewritten from its normalized form (nginx proxy_pass with a URI)", () => {
  assert.equal(rewritePath("/%61pi/users", "/api/", "/v1/"), "/v1/users", "an escaped letter");
  assert.equal(rewritePath("/api//users", "/api/", "/v1/"), "/v1/users", "doubled slashes merge");
  assert.equal(rewritePath("//api/a%2fb", "/api/", "/v1/"), "/v1/a%2Fb", "an escaped slash stays escaped");
  assert.equal(rewritePath("/caf%c3%a9/x", "/café/", "/c/"), "/c/x", "a non-ASCII prefix matches its escapes");
  assert.equal(rewritePath("/%61pi/users", "/api/", null), "/%61pi/users", "without a base the path goes as received");
});

test("normalizePath decodes only what needs no escape and merges empty segments", () => {
  assert.equal(normalizePath("/%7euser//a%20b/%2f%25/"), "/~user/a%20b/%2F%25/");
  assert.equal(normalizePath("/a b"), "/a%20b");
});
