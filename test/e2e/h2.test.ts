// HTTP/2 end to end with the real server and a raw frame client (test/helpers/h2.ts): h2c beside
// HTTP/1.1 on one port, files with the same semantics as over HTTP/1.1 (conditional requests, ranges,
// compression, listings, writes), logs and statistics naming the protocol, the limits, and GOAWAY on
// shutdown with the in-flight stream finishing.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { after, before, describe, test } from "node:test";
import {
  data,
  END_HEADERS,
  END_STREAM,
  encodeFields,
  GOAWAY,
  H2Client,
  header,
  headers,
  PREFACE,
  RST_STREAM,
  request,
  requestFields,
  settings,
  wideOpen,
  windowUpdate,
} from "../helpers/h2.ts";
import { exchange, parseResponses } from "../helpers/raw.ts";
import { FETCH_APP, makeAppDir } from "./app-fixtures.ts";
import { waitForOutput } from "../helpers/tls-client.ts";
import { makeSite, type RunningServer, startServer } from "../helpers/server.ts";

const TEXT = "The quick brown fox jumps over the lazy dog.\n".repeat(100);
const BIG = Buffer.alloc(3 * 1024 * 1024 + 17, "0123456789abcdef");
const site = makeSite({ "a.txt": "hello h2\n", "text.txt": TEXT, "big.bin": BIG, "dir/x.txt": "x" });

describe("h2c beside HTTP/1.1 on one port", () => {
  let server: RunningServer;
  let log: string;
  before(async () => {
    log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "portico-h2-log-")), "access.log");
    server = await startServer({
      args: [
        "--root",
        site,
        "-t",
        "1",
        "--h2c",
        "--writable",
        "--log-format",
        "combined",
        "--access-log",
        log,
        "--status-path",
        "/status",
      ],
    });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test("a client with prior knowledge speaks HTTP/2; an HTTP/1.1 client on the same port is served as before", async () => {
    const client = await H2Client.connect(server.port);
    const res = await client.get(1, "/a.txt");
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "hello h2\n");
    assert.equal(header(res, "server"), "portico");
    assert.match(header(res, "date")!, /GMT$/);
    assert.equal(header(res, "content-length"), "9");
    client.close();
    const { bytes } = await exchange(server.port, "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const [h1] = parseResponses(bytes);
    assert.equal(h1?.status, 200);
    assert.equal(h1?.body.toString(), "hello h2\n");
  });

  test("conditional requests and ranges mean what they mean over HTTP/1.1", async () => {
    const client = await H2Client.connect(server.port);
    const first = await client.get(1, "/text.txt");
    const etag = header(first, "etag")!;
    const notModified = await client.get(3, "/text.txt", [["if-none-match", etag]]);
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body.length, 0);
    const failed = await client.get(5, "/text.txt", [["if-match", '"nope"']]);
    assert.equal(failed.status, 412);
    const range = await client.get(7, "/text.txt", [["range", "bytes=4-8"]]);
    assert.equal(range.status, 206);
    assert.equal(range.body.toString(), "quick");
    assert.equal(header(range, "content-range"), `bytes 4-8/${TEXT.length}`);
    const multi = await client.get(9, "/text.txt", [["range", "bytes=0-2,10-12"]]);
    assert.equal(multi.status, 206);
    assert.match(header(multi, "content-type")!, /^multipart\/byteranges; boundary=/);
    const unsatisfiable = await client.get(11, "/text.txt", [["range", `bytes=${TEXT.length}-`]]);
    assert.equal(unsatisfiable.status, 416);
    client.close();
  });

  test("compression, listings, HEAD and 404 as over HTTP/1.1", async () => {
    const client = await H2Client.connect(server.port);
    const gzip = await client.get(1, "/text.txt", [["accept-encoding", "gzip"]]);
    assert.equal(header(gzip, "content-encoding"), "gzip");
    assert.equal(header(gzip, "vary"), "Accept-Encoding");
    assert.equal(zlib.gunzipSync(gzip.body).toString(), TEXT);
    const listing = await client.get(3, "/dir/");
    assert.equal(listing.status, 200);
    assert.match(listing.body.toString(), /x\.txt/);
    const redirect = await client.get(5, "/dir");
    assert.equal(redirect.status, 301);
    assert.equal(header(redirect, "location"), "/dir/");
    const missing = await client.get(7, "/missing");
    assert.equal(missing.status, 404);
    client.close();
    const head = await H2Client.connect(server.port);
    // HEAD: the same head as GET, no DATA.
    head.send(headFrame(1, "/a.txt"));
    const res = await head.log.until(() => head.log.response(1), 10_000, "the HEAD response");
    assert.equal(res.status, 200);
    assert.equal(header(res, "content-length"), "9");
    assert.equal(res.body.length, 0);
    head.close();
  });

  test("a large file streams from disk under flow control, as the client opens its windows", async () => {
    const client = await H2Client.connect(server.port);
    client.send(request(1, "/big.bin"));
    let given = 0;
    const received = (): number =>
      client.log.frames.filter((f) => f.type === 0 && f.stream === 1).reduce((n, f) => n + f.payload.length, 0);
    // The default windows (64 KiB) are opened a little at a time: the server never sends past them.
    while (client.log.response(1) === undefined) {
      await client.log.until(
        () => received() >= given + 65_535 || client.log.response(1),
        10_000,
        "data up to the window",
      );
      assert.ok(received() <= given + 65_535, "never more than the window");
      client.send(windowUpdate(0, 256 * 1024), windowUpdate(1, 256 * 1024));
      given += 256 * 1024;
    }
    assert.ok(client.log.response(1)!.body.equals(BIG));
    client.close();
  });

  test("writes: PUT with a body in DATA frames, then GET and DELETE", async () => {
    const client = await H2Client.connect(server.port, { settings: wideOpen() });
    client.send(putFrame(1, "/new.txt", 11), data(1, "hello "), data(1, "world", END_STREAM));
    const put = await client.log.until(() => client.log.response(1), 10_000, "the PUT response");
    assert.equal(put.status, 201);
    const got = await client.get(3, "/new.txt");
    assert.equal(got.body.toString(), "hello world");
    client.send(deleteFrame(5, "/new.txt"));
    const deleted = await client.log.until(() => client.log.response(5), 10_000, "the DELETE response");
    assert.equal(deleted.status, 204);
    client.close();
  });

  test("logs name HTTP/2.0; statistics count HTTP/2 requests", async () => {
    const client = await H2Client.connect(server.port);
    await client.get(1, "/a.txt?logged=1", [["user-agent", "h2-test"]]);
    // Counts are published a few times a second: ask until this request shows.
    let requests = 0;
    for (let id = 3; requests === 0 && id < 400; id += 2) {
      const stats = await client.get(id, "/status/stats");
      assert.equal(stats.status, 200);
      requests = (JSON.parse(stats.body.toString()) as { requests: number }).requests;
      if (requests === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(requests > 0);
    client.close();
    // The line is written within the turn the response left in.
    const deadline = Date.now() + 10_000;
    while (!fs.readFileSync(log, "utf8").includes("logged=1") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const line = fs
      .readFileSync(log, "utf8")
      .split("\n")
      .find((l) => l.includes("logged=1"));
    assert.match(line!, /"GET \/a\.txt\?logged=1 HTTP\/2\.0" 200 9 "-" "h2-test"$/);
  });
});

describe("limits", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({
      args: [
        "--root",
        site,
        "-t",
        "1",
        "--h2c",
        "--h2-max-streams",
        "2",
        "--max-header-size",
        "1KiB",
        "--max-body",
        "10",
        "--writable",
      ],
    });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test("--h2-max-streams: a stream past the limit is refused, the others are answered", async () => {
    const client = await H2Client.connect(server.port);
    await client.log.until(() => client.log.frames.some((f) => f.type === 4 && f.flags === 0), 10_000, "SETTINGS");
    // Streams held open by a body that never comes.
    client.send(putFrame(1, "/p1.txt", 5), putFrame(3, "/p2.txt", 5), request(5, "/a.txt"));
    const refused = await client.log.until(() => client.log.resetCode(5), 10_000, "the refusal");
    assert.equal(refused, 0x7);
    client.close();
  });

  test("--max-header-size: a larger field section is 431; --max-body: a larger body is 413", async () => {
    const client = await H2Client.connect(server.port);
    const big = await client.get(1, "/a.txt", [["x-big", "b".repeat(2000)]]);
    assert.equal(big.status, 431);
    client.send(putFrame(3, "/body.txt", 100));
    const tooLarge = await client.log.until(() => client.log.response(3), 10_000, "the 413");
    assert.equal(tooLarge.status, 413);
    const fine = await client.get(5, "/a.txt");
    assert.equal(fine.status, 200);
    client.close();
  });
});

test("common and json logs name HTTP/2 too; the audit line (METHOD,URI,STATUS,ID) is the same as over HTTP/1.1", async () => {
  for (const format of ["common", "json", "audit"] as const) {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "portico-h2-log-")), "access.log");
    const log = format === "audit" ? [] : ["--access-log", file];
    const server = await startServer({ args: ["--root", site, "-t", "1", "--h2c", "--log-format", format, ...log] });
    const client = await H2Client.connect(server.port);
    await client.get(1, "/a.txt", [["request-id", "h2-id"]]);
    client.close();
    assert.equal(await server.stop(), 0);
    const lines = (format === "audit" ? server.stderr() : fs.readFileSync(file, "utf8")).split("\n").filter((l) => l);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    if (format === "common") assert.match(lines[0]!, /"GET \/a\.txt HTTP\/2\.0" 200 9$/);
    if (format === "json") {
      const record = JSON.parse(lines[0]!) as Record<string, unknown>;
      assert.deepEqual([record.method, record.target, record.version, record.status], ["GET", "/a.txt", "2.0", 200]);
    }
    if (format === "audit") assert.deepEqual(lines, ["GET,/a.txt,200,h2-id"]);
  }
});

test("without --h2c the preface is not taken for HTTP/2", async () => {
  const server = await startServer({ args: ["--root", site, "-t", "1"] });
  const { bytes } = await exchange(server.port, Buffer.concat([PREFACE, settings()]));
  assert.match(bytes.toString("latin1"), /^HTTP\/1\.1 505 /);
  assert.equal(await server.stop(), 0);
});

test("SIGTERM: GOAWAY names the last stream, which finishes; then the server exits 0", async () => {
  const server = await startServer({ args: ["--root", site, "-t", "1", "--h2c"] });
  const client = await H2Client.connect(server.port);
  client.send(request(1, "/big.bin"));
  await client.log.until(() => client.log.frames.some((f) => f.type === 0 && f.stream === 1), 10_000, "the first DATA");
  const exited = server.stop();
  const away = await client.log.until(() => client.log.goaway(), 10_000, "GOAWAY");
  assert.deepEqual([away.last, away.code], [1, 0]);
  client.send(windowUpdate(0, 8 * 1024 * 1024), windowUpdate(1, 8 * 1024 * 1024));
  const res = await client.log.until(() => client.log.response(1), 20_000, "the rest of the response");
  assert.ok(res.body.equals(BIG));
  assert.equal(client.log.find(RST_STREAM, 1), undefined);
  assert.equal(await exited, 0);
  await client.log.until(() => client.log.closed, 10_000, "the connection's end");
  assert.ok(client.log.find(GOAWAY));
});

test("SIGHUP in place: an open HTTP/2 connection keeps going; its streams finish and new ones are served", async () => {
  const server = await startServer({ args: ["--root", site, "-t", "1", "--h2c"] });
  const client = await H2Client.connect(server.port);
  client.send(request(1, "/a.txt"), request(3, "/big.bin"));
  await client.log.until(() => client.log.frames.some((f) => f.type === 0 && f.stream === 3), 10_000, "DATA on 3");
  // The reload swaps the handlers under the running listener and session (no GOAWAY, no new worker).
  server.child.kill("SIGHUP");
  await waitForOutput(server, /reloaded the configuration/);
  client.send(windowUpdate(0, 8 * 1024 * 1024), windowUpdate(3, 8 * 1024 * 1024));
  client.send(request(5, "/a.txt"));
  const res = await client.log.until(() => client.log.response(3), 20_000, "the rest of the response");
  assert.ok(res.body.equals(BIG));
  assert.equal(client.log.response(1)?.body.toString(), "hello h2\n");
  const later = await client.log.until(() => client.log.response(5), 20_000, "the stream opened after the reload");
  assert.equal(later.body.toString(), "hello h2\n");
  assert.equal(client.log.closed, false);
  client.close();
  assert.equal(await server.stop(), 0);
});

test("an application (--app) answers over HTTP/2 through the same bridge", async () => {
  const dir = makeAppDir({ "app.js": FETCH_APP });
  const server = await startServer({ args: ["--app", path.join(dir, "app.js"), "-t", "1", "-q", "--h2c"] });
  const client = await H2Client.connect(server.port, { settings: wideOpen() });
  const hello = await client.get(1, "/hello");
  assert.equal(hello.body.toString(), "Hello, World!");
  assert.equal(header(hello, "content-type"), "text/plain");
  const info = JSON.parse((await client.get(3, "/info", [["user-agent", "h2-app"]])).body.toString()) as {
    url: string;
    method: string;
    agent: string;
  };
  assert.deepEqual([info.url, info.method, info.agent], ["http://localhost/info", "GET", "h2-app"]);
  client.send(putFrame(5, "/echo", 5), data(5, "12345", END_STREAM));
  const echo = await client.log.until(() => client.log.response(5), 10_000, "the echo");
  assert.equal(echo.body.toString(), "12345");
  assert.equal(header(echo, "x-method"), "PUT");
  client.close();
  assert.equal(await server.stop(), 0);
});

// Small frame builders for methods other than GET.
function headFrame(stream: number, path: string): Buffer {
  return headers(stream, encodeFields(requestFields(path, [], "HEAD")));
}

function putFrame(stream: number, path: string, length: number): Buffer {
  return headers(stream, encodeFields(requestFields(path, [["content-length", String(length)]], "PUT")), END_HEADERS);
}

function deleteFrame(stream: number, path: string): Buffer {
  return headers(stream, encodeFields(requestFields(path, [], "DELETE")));
}
