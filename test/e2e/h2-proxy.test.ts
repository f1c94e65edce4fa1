// The reverse proxy behind HTTP/2: an h2 client's requests reach HTTP/1.1 upstreams through the same
// pools and rules (Host from :authority, cookie crumbs joined, Via naming HTTP/2, bodies with and
// without content-length), and upstream heads come back as HPACK fields (multiple Set-Cookie kept
// apart, hop-by-hop dropped, trailers), large bodies under flow control, 502 when the upstream is gone.

import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { type Backend, startBackend } from "../helpers/backends.ts";
import {
  data,
  END_HEADERS,
  END_STREAM,
  encodeFields,
  H2Client,
  type H2Response,
  header,
  headers,
  requestFields,
  wideOpen,
} from "../helpers/h2.ts";
import { makeSite, type RunningServer, startServer } from "../helpers/server.ts";

const run = promisify(execFile);
const CI = process.env.CI !== undefined && process.env.CI !== "";
const curl = /HTTP2/.test(spawnSync("curl", ["--version"], { encoding: "utf8" }).stdout ?? "");
const nghttp = spawnSync("nghttp", ["--version"]).status === 0;

let echo: Backend;
let proxy: RunningServer;
const LARGE = Buffer.alloc(2 * 1024 * 1024 + 3, "proxy!");

interface Echoed {
  method: string;
  url: string;
  headers: string[];
  body: string;
}

before(async () => {
  echo = await startBackend("echo", (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const url = req.url ?? "/";
      if (url === "/cookies") {
        res.writeHead(200, {
          "Set-Cookie": ["a=1; Path=/", "b=2; Path=/"],
          Connection: "X-Drop, keep-alive",
          "X-Drop": "1",
          "Keep-Alive": "timeout=5",
          "Content-Length": "2",
        });
        return res.end("ok");
      }
      if (url === "/trailers") {
        res.writeHead(200, { "Content-Type": "text/plain", Trailer: "X-Checksum" });
        res.write("part one, ");
        res.addTrailers({ "X-Checksum": "abc123" });
        return res.end("part two");
      }
      if (url === "/large") {
        res.writeHead(200, { "Content-Type": "application/octet-stream" });
        return res.end(LARGE);
      }
      const body = JSON.stringify({
        method: req.method ?? "",
        url,
        headers: req.rawHeaders,
        body: Buffer.concat(chunks).toString(),
      } satisfies Echoed);
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      res.end(req.method === "HEAD" ? undefined : body);
    });
  });
  proxy = await startServer({
    args: [
      "-t",
      "1",
      "-q",
      "--h2c",
      "--proxy",
      `http://127.0.0.1:${echo.port}`,
      "--proxy",
      "/gone=http://127.0.0.1:1/",
    ],
  });
});

after(async () => {
  assert.equal(await proxy.stop(), 0);
  await echo.close();
});

function echoed(res: H2Response): Echoed {
  assert.equal(res.status, 200);
  return JSON.parse(res.body.toString()) as Echoed;
}

function field(list: string[], name: string): string | undefined {
  for (let i = 0; i < list.length; i += 2) if (list[i]!.toLowerCase() === name) return list[i + 1];
  return undefined;
}

test("a GET reaches the upstream as HTTP/1.1: Host from :authority, cookies joined, Via names HTTP/2", async () => {
  const client = await H2Client.connect(proxy.port);
  const res = await client.get(1, "/path?q=1", [
    ["cookie", "a=1"],
    ["accept", "*/*"],
    ["cookie", "b=2"],
  ]);
  const seen = echoed(res);
  assert.deepEqual([seen.method, seen.url], ["GET", "/path?q=1"]);
  assert.equal(field(seen.headers, "host"), "localhost");
  assert.equal(field(seen.headers, "cookie"), "a=1; b=2");
  assert.equal(field(seen.headers, "via"), "2 portico");
  assert.equal(field(seen.headers, "x-forwarded-proto"), "http");
  assert.equal(field(seen.headers, "x-forwarded-host"), "localhost");
  assert.equal(header(res, "via"), "1.1 portico");
  client.close();
});

test("upstream fields come back as HPACK fields: Set-Cookie kept apart, hop-by-hop dropped", async () => {
  const client = await H2Client.connect(proxy.port);
  const res = await client.get(1, "/cookies");
  assert.equal(res.body.toString(), "ok");
  assert.deepEqual(
    res.headers.filter(([n]) => n === "set-cookie").map(([, v]) => v),
    ["a=1; Path=/", "b=2; Path=/"],
  );
  for (const gone of ["connection", "keep-alive", "x-drop", "transfer-encoding"])
    assert.equal(header(res, gone), undefined, gone);
  assert.equal(header(res, "content-length"), "2");
  assert.ok(res.headers.every(([n]) => n === n.toLowerCase()));
  client.close();
});

test("bodies go up with their content-length, or chunked when the stream gives none", async () => {
  const client = await H2Client.connect(proxy.port, { settings: wideOpen() });
  client.send(
    headers(1, encodeFields(requestFields("/sized", [["content-length", "11"]], "POST")), END_HEADERS),
    data(1, "hello "),
    data(1, "world", END_STREAM),
  );
  const sized = echoed(await client.log.until(() => client.log.response(1), 10_000, "the sized POST"));
  assert.equal(sized.body, "hello world");
  assert.equal(field(sized.headers, "content-length"), "11");
  client.send(headers(3, encodeFields(requestFields("/unsized", [], "POST")), END_HEADERS), data(3, "abc"));
  client.send(data(3, "def"), data(3, "", END_STREAM));
  const unsized = echoed(await client.log.until(() => client.log.response(3), 10_000, "the unsized POST"));
  assert.equal(unsized.body, "abcdef");
  assert.equal(field(unsized.headers, "transfer-encoding"), "chunked");
  client.close();
});

test("an upstream's trailers end the stream in a HEADERS frame", async () => {
  const client = await H2Client.connect(proxy.port);
  const res = await client.get(1, "/trailers");
  assert.equal(res.body.toString(), "part one, part two");
  assert.deepEqual(res.trailers, [["x-checksum", "abc123"]]);
  client.close();
});

test("a large upstream body crosses under the client's windows, intact", async () => {
  const client = await H2Client.connect(proxy.port, { settings: wideOpen() });
  const res = await client.get(1, "/large", [], 30_000);
  assert.ok(res.body.equals(LARGE));
  client.close();
});

test("HEAD through the proxy; an upstream that is gone is a 502", async () => {
  const client = await H2Client.connect(proxy.port);
  client.send(headers(1, encodeFields(requestFields("/head", [], "HEAD"))));
  const head = await client.log.until(() => client.log.response(1), 10_000, "the HEAD response");
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  const gone = await client.get(3, "/gone/x");
  assert.equal(gone.status, 502);
  assert.match(gone.body.toString(), /^Bad Gateway/);
  client.close();
});

test("files in front of the proxy, over HTTP/2", async () => {
  const root = makeSite({ "here.txt": "from disk\n" });
  const both = await startServer({
    args: ["-t", "1", "-q", "--h2c", "--root", root, "--proxy", `http://127.0.0.1:${echo.port}`],
  });
  const client = await H2Client.connect(both.port);
  assert.equal((await client.get(1, "/here.txt")).body.toString(), "from disk\n");
  assert.equal(echoed(await client.get(3, "/elsewhere")).url, "/elsewhere");
  client.close();
  assert.equal(await both.stop(), 0);
});

test("curl --http2-prior-knowledge through the proxy: a POST body up, Set-Cookie and a large body back", {
  skip: !curl && !CI,
}, async () => {
  const url = `http://127.0.0.1:${proxy.port}`;
  const post = await run("curl", ["-s", "--http2-prior-knowledge", "--data-binary", "from curl", `${url}/form`]);
  const seen = JSON.parse(post.stdout) as Echoed;
  assert.deepEqual([seen.method, seen.body, field(seen.headers, "via")], ["POST", "from curl", "2 portico"]);
  const cookies = await run("curl", ["-s", "-i", "--http2-prior-knowledge", `${url}/cookies`]);
  assert.match(cookies.stdout, /^HTTP\/2 200 \r\n/);
  assert.deepEqual(cookies.stdout.match(/^set-cookie: .*$/gm), ["set-cookie: a=1; Path=/", "set-cookie: b=2; Path=/"]);
  const large = await run("curl", [
    "-s",
    "--http2-prior-knowledge",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code} %{size_download} %{http_version}",
    `${url}/large`,
  ]);
  assert.equal(large.stdout, `200 ${LARGE.length} 2`);
});

test("nghttp through the proxy: several streams on one connection, each complete", {
  skip: !nghttp && !CI,
}, async () => {
  const url = `http://127.0.0.1:${proxy.port}`;
  const { stdout } = await run("nghttp", ["-nv", `${url}/a`, `${url}/large`, `${url}/trailers`, `${url}/gone/x`]);
  assert.equal(stdout.match(/recv \(stream_id=\d+\) :status: 200/g)?.length, 3);
  assert.match(stdout, /recv \(stream_id=\d+\) :status: 502/);
  assert.match(stdout, /recv \(stream_id=\d+\) x-checksum: abc123/);
  // Each stream ends with a frame received with END_STREAM (flags 0x1 on DATA, 0x5 on HEADERS).
  assert.equal(stdout.match(/recv (?:DATA|HEADERS) frame <[^>]*flags=0x0[15],/g)?.length, 4);
});
