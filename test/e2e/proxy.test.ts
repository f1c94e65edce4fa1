// The reverse proxy's message handling end to end: forwarded fields, hop-by-hop removal, framing both
// ways, HEAD/204/304, 100 Continue, prefix routing and stripping, files in front of the proxy.

import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { type Backend, startBackend } from "../helpers/backends.ts";
import { connect, exchange, parseResponses, request } from "../helpers/raw.ts";
import { makeSite, type RunningServer, startServer } from "../helpers/server.ts";
import { delay } from "../helpers/wait.ts";

let echo: Backend;
let api: Backend;
let proxy: RunningServer;

before(async () => {
  echo = await startBackend("echo", (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const url = req.url ?? "/";
      if (url === "/no-content") return res.writeHead(204, { "X-Kind": "none" }).end();
      if (url === "/not-modified") return res.writeHead(304, { ETag: '"v1"' }).end();
      if (url === "/trailers") {
        res.writeHead(200, { "Content-Type": "text/plain", Trailer: "X-Checksum" });
        res.write("part one, ");
        res.addTrailers({ "X-Checksum": "abc123", "Content-Length": "99" });
        return res.end("part two");
      }
      if (url === "/chunked") {
        res.writeHead(200, { "Content-Type": "text/plain", Connection: "X-Drop", "X-Drop": "1" });
        res.write("hello ");
        setTimeout(() => res.end("world"), 20);
        return;
      }
      const body = JSON.stringify({
        method: req.method,
        url,
        headers: req.rawHeaders,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      res.end(req.method === "HEAD" ? undefined : body);
    });
  });
  api = await startBackend("api");
  const root = makeSite({ "static.txt": "from disk\n" });
  proxy = await startServer({
    args: [
      "-t",
      "1",
      "-q",
      "--root",
      root,
      "--proxy",
      `http://127.0.0.1:${echo.port}`,
      "--proxy",
      `/api=http://127.0.0.1:${api.port}/v2/`,
    ],
  });
});

after(async () => {
  await proxy.stop();
  await echo.close();
  await api.close();
});

/** One request on a fresh connection that closes after the response (so nothing waits for a timeout). */
function ask(text: string): ReturnType<typeof request> {
  return request(proxy.port, text.replace("\r\n", "\r\nConnection: close\r\n"));
}

function fields(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) out[raw[i]!.toLowerCase()] = raw[i + 1]!;
  return out;
}

test("forwards method, path and query; appends forwarding fields and Via; drops hop-by-hop fields", async () => {
  const res = await ask(
    "GET /some/path?x=1 HTTP/1.1\r\nHost: front.example\r\nConnection: X-Private\r\nX-Private: secret\r\nKeep-Alive: 5\r\nX-Forwarded-For: 203.0.113.7\r\nAccept: text/html\r\n\r\n",
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers.via, "1.1 portico");
  const seen = JSON.parse(res.body.toString()) as { method: string; url: string; headers: string[] };
  assert.equal(seen.url, "/some/path?x=1");
  const h = fields(seen.headers);
  assert.equal(h.host, "front.example");
  assert.equal(h["x-forwarded-for"], "203.0.113.7, 127.0.0.1");
  assert.equal(h["x-forwarded-proto"], "http");
  assert.equal(h["x-forwarded-host"], "front.example");
  assert.equal(h.forwarded, "for=127.0.0.1;host=front.example;proto=http");
  assert.equal(h.via, "1.1 portico");
  assert.equal(h.accept, "text/html");
  for (const gone of ["x-private", "keep-alive", "connection"]) assert.equal(h[gone], undefined, gone);
});

test("a chunked upstream response is relayed chunked, minus the fields its Connection names", async () => {
  const res = await ask("GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal(res.status, 200);
  assert.equal(res.headers["transfer-encoding"], "chunked");
  assert.equal(res.headers["x-drop"], undefined);
  assert.equal(res.body.toString(), "hello world");
});

test("an HTTP/1.0 client gets a close-delimited body from a chunked upstream", async () => {
  const { bytes, closed } = await exchange(proxy.port, "GET /chunked HTTP/1.0\r\n\r\n");
  const [res] = parseResponses(bytes);
  assert.equal(res!.body.toString(), "hello world");
  assert.equal(closed, true);
});

test("HEAD, 204 and 304 carry no body and the connection stays usable", async () => {
  const { bytes } = await exchange(
    proxy.port,
    "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /no-content HTTP/1.1\r\nHost: x\r\n\r\nGET /not-modified HTTP/1.1\r\nHost: x\r\n\r\nGET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  );
  const responses = parseResponses(bytes, new Set([0]));
  assert.deepEqual(
    responses.map((r) => r.status),
    [200, 204, 304, 200],
  );
  assert.ok(Number(responses[0]!.headers["content-length"]) > 0, "HEAD keeps the upstream's Content-Length");
  assert.equal(responses[0]!.body.length, 0);
  assert.equal(responses[2]!.headers.etag, '"v1"');
  assert.equal(JSON.parse(responses[3]!.body.toString()).url, "/last");
});

test("request bodies pass with Content-Length and chunked framing", async () => {
  const sized = await ask("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  assert.equal(JSON.parse(sized.body.toString()).body, "hello");
  const chunked = await ask(
    "PUT /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
  );
  const seen = JSON.parse(chunked.body.toString()) as { body: string; headers: string[] };
  assert.equal(seen.body, "abcde");
  assert.equal(fields(seen.headers)["transfer-encoding"], "chunked");
});

test("Expect: 100-continue gets a 100 before the body is sent, then the upstream's answer", async () => {
  const socket = await connect(proxy.port);
  const received: Buffer[] = [];
  socket.on("data", (d: Buffer) => received.push(d));
  socket.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  const deadline = Date.now() + 2000;
  while (!Buffer.concat(received).toString().includes("100 Continue") && Date.now() < deadline) await delay(10);
  assert.match(Buffer.concat(received).toString(), /^HTTP\/1\.1 100 Continue\r\n\r\n/);
  socket.write("data");
  while (!Buffer.concat(received).toString().includes('"body":"data"') && Date.now() < deadline) await delay(10);
  socket.destroy();
  const text = Buffer.concat(received).toString();
  const final = text.slice(text.indexOf("HTTP/1.1 200"));
  assert.match(final, /"body":"data"/);
  assert.ok(
    !/expect/i.test(JSON.parse(final.slice(final.indexOf("\r\n\r\n") + 4)).headers.join(" ")),
    "Expect is not forwarded",
  );
});

test("a prefix routes to its own pool and the URL's path replaces it", async () => {
  const res = await ask("GET /api/users?id=3 HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal(res.headers["x-backend"], "api");
  assert.equal(res.body.toString(), "api GET /v2/users?id=3\n");
  const other = await ask("GET /apiary HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal(JSON.parse(other.body.toString()).url, "/apiary", "/apiary is not under /api");
});

test("with --root, existing files are served and everything else is proxied", async () => {
  const file = await ask("GET /static.txt HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal(file.body.toString(), "from disk\n");
  assert.equal(file.headers.via, undefined);
  const missing = await ask("GET /missing.txt HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal(JSON.parse(missing.body.toString()).url, "/missing.txt");
  const post = await ask("POST /static.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok");
  assert.equal(JSON.parse(post.body.toString()).method, "POST");
});

test("with --root, paths that name no file (encoded slash, dotfile, bad escape) still reach the proxy", async () => {
  for (const path of ["/pkg/%40scope%2Fname", "/.config", "/x%zz"]) {
    const res = await ask(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(res.status, 200, path);
    assert.equal(JSON.parse(res.body.toString()).url, path);
  }
});

test("CONNECT is refused with 501: a reverse proxy is not an open tunnel", async () => {
  const res = await ask("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
  assert.equal(res.status, 501);
  assert.match(res.body.toString(), /CONNECT is not supported/);
});

test("a proxied path with dot segments is refused: it cannot climb out of its prefix upstream", async () => {
  for (const path of ["/api/../../admin", "/api/%2e%2e/%2e%2e/admin", "/x/./y"]) {
    const res = await ask(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(res.status, 400, path);
    assert.equal(res.headers.via, undefined, `${path} reached an upstream`);
  }
});

test("with --writable, PUT under a proxied prefix goes upstream; elsewhere it writes a file", async () => {
  const root = makeSite({});
  const writable = await startServer({
    args: ["-t", "1", "-q", "--root", root, "--writable", "--mkdir", "--proxy", `/api=http://127.0.0.1:${echo.port}`],
  });
  try {
    const up = await request(
      writable.port,
      "PUT /api/users/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 7\r\n\r\nSPOOFED",
    );
    assert.equal(JSON.parse(up.body.toString()).method, "PUT");
    assert.equal(fs.existsSync(`${root}/api/users/1`), false, "nothing was written under the proxied prefix");
    const local = await request(
      writable.port,
      "PUT /local.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
    );
    assert.equal(local.status, 201);
    assert.equal(fs.readFileSync(`${root}/local.txt`, "utf8"), "ok");
  } finally {
    await writable.stop();
  }
});

test("an upstream's response trailers reach a chunked client, minus those that may not be trailers", async () => {
  const { bytes } = await exchange(
    proxy.port,
    "GET /trailers HTTP/1.1\r\nHost: h\r\nTE: trailers\r\nConnection: close\r\n\r\n",
  );
  const raw = bytes.toString("latin1");
  assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(raw, /\r\nTransfer-Encoding: chunked\r\n/);
  assert.match(raw, /part one, \r\n[0-9a-f]+\r\npart two\r\n0\r\nX-Checksum: abc123\r\n\r\n$/);
  assert.ok(!raw.includes("Content-Length: 99"), "a framing field is never sent as a trailer");
});
