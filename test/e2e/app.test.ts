// `portico --app` end to end over raw sockets: the fetch interface (bodies in and out, 1 MiB uploads with
// and without chunked framing, streams that arrive as they are written, abort on disconnect), failures
// contained to their request, pipelining, a real Hono app unchanged, TypeScript and JavaScript apps,
// two threads, SIGHUP loading new code, a crashed worker replaced.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { connect, exchange, parseResponses, type RawResponse, request } from "../helpers/raw.ts";
import { type RunningServer, startServer } from "../helpers/server.ts";
import { FETCH_APP, HONO_APP, makeAppDir, TS_APP, TS_HELPER } from "./app-fixtures.ts";

const WAIT_MS = 15_000;

function get(port: number, target: string, fields = ""): Promise<RawResponse & { closed: boolean }> {
  return request(port, `GET ${target} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n${fields}\r\n`, {
    timeoutMs: 5000,
  });
}

function post(port: number, target: string, body: string, fields = ""): Promise<RawResponse & { closed: boolean }> {
  const head = `POST ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  return request(port, `${head}${fields}\r\n${body}`, { timeoutMs: 5000 });
}

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reads from a socket until `pattern` has arrived; resolves with everything read so far. */
function readUntil(socket: import("node:net").Socket, pattern: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(
      () => reject(new Error(`no ${JSON.stringify(pattern)} in ${JSON.stringify(text)}`)),
      WAIT_MS,
    );
    const onData = (chunk: Buffer): void => {
      text += chunk.toString("latin1");
      if (!text.includes(pattern)) return;
      clearTimeout(timer);
      socket.off("data", onData);
      resolve(text);
    };
    socket.on("data", onData);
  });
}

describe("an app on the fetch interface", () => {
  let dir = "";
  let server: RunningServer;
  const data = Buffer.alloc(100_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;

  before(async () => {
    dir = makeAppDir({ "app.js": FETCH_APP });
    fs.writeFileSync(path.join(dir, "data.bin"), data);
    server = await startServer({ args: ["--app", path.join(dir, "app.js"), "-t", "1"] });
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a string body goes out with its fields, Server and Date from the engine", async () => {
    const res = await get(server.port, "/hello");
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "Hello, World!");
    assert.equal(res.headers["content-type"], "text/plain");
    assert.equal(res.headers["content-length"], "13");
    assert.equal(res.headers.server, "portico");
    assert.match(res.headers.date ?? "", /GMT$/);
  });

  test("the request has a full URL, the client's address in info, and is instanceof Request", async () => {
    const res = await get(server.port, "/info?x=1", "User-Agent: raw-test\r\n");
    const info = JSON.parse(res.body.toString()) as Record<string, unknown>;
    assert.equal(info.url, "http://app.test/info?x=1");
    assert.equal(info.method, "GET");
    assert.equal(info.remoteAddress, "127.0.0.1");
    assert.equal(typeof info.remotePort, "number");
    assert.equal(info.tls, false);
    assert.equal(info.agent, "raw-test");
    assert.equal(info.isRequest, true);
    assert.equal(res.headers["content-type"], "application/json");
  });

  test("bodies in and out: bytes echoed, JSON and form data parsed", async () => {
    const echo = await post(server.port, "/echo", "hello");
    assert.equal(echo.body.toString(), "hello");
    assert.equal(echo.headers["x-method"], "POST");
    const json = await post(server.port, "/json", '{"a":[1,2,3]}', "Content-Type: application/json\r\n");
    assert.deepEqual(JSON.parse(json.body.toString()), { a: [1, 2, 3] });
    const form = await post(
      server.port,
      "/form",
      "name=a&n=%21",
      "Content-Type: application/x-www-form-urlencoded\r\n",
    );
    assert.deepEqual(JSON.parse(form.body.toString()), { name: "a", n: "!" });
    const bytes = await get(server.port, "/bytes");
    assert.equal(bytes.body.toString(), "hi");
  });

  test("a 1 MiB upload arrives whole, with Content-Length and chunked", async () => {
    const body = Buffer.alloc(1 << 20);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const expected = createHash("sha256").update(body).digest("hex");
    const plain = await exchange(
      server.port,
      Buffer.concat([
        Buffer.from(`POST /sha HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`),
        body,
      ]),
      { timeoutMs: 10_000 },
    );
    assert.equal(parseResponses(plain.bytes)[0]!.body.toString(), expected);
    const chunks: Buffer[] = [
      Buffer.from("POST /sha HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"),
    ];
    for (let at = 0; at < body.length; at += 100_000) {
      const piece = body.subarray(at, at + 100_000);
      chunks.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n"));
    }
    chunks.push(Buffer.from("0\r\n\r\n"));
    const chunked = await exchange(server.port, Buffer.concat(chunks), { timeoutMs: 10_000 });
    const res = parseResponses(chunked.bytes)[0]!;
    assert.equal(res.body.toString(), expected);
    // The body reached the app as a stream, not as one piece.
    assert.ok(Number(res.headers["x-chunks"]) > 1);
  });

  test("a streamed response arrives as it is written, chunked", async () => {
    const socket = await connect(server.port);
    try {
      socket.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
      const first = await readUntil(socket, "first\n");
      assert.match(first, /transfer-encoding: chunked/i);
      assert.ok(!first.includes("second"));
      const rest = readUntil(socket, "0\r\n\r\n");
      assert.equal((await get(server.port, "/release")).body.toString(), "released");
      const all = first + (await rest);
      const [res] = parseResponses(Buffer.from(all, "latin1"));
      assert.equal(res!.body.toString(), "first\nsecond\n");
    } finally {
      socket.destroy();
    }
  });

  test("Blob and file bodies carry their length and type", async () => {
    const blob = await get(server.port, "/blob");
    assert.equal(blob.body.toString(), "blob body");
    assert.equal(blob.headers["content-type"], "text/x-blob");
    assert.equal(blob.headers["content-length"], "9");
    const big = await get(server.port, "/big-blob");
    assert.equal(big.headers["content-length"], "300000");
    assert.equal(big.body.length, 300000);
    const file = await get(server.port, "/file");
    assert.equal(file.headers["content-length"], String(data.length));
    assert.ok(file.body.equals(data));
  });

  test("several Set-Cookie fields stay apart", async () => {
    const res = await get(server.port, "/cookies");
    const lines = res.rawHead.split("\r\n").filter((line) => /^set-cookie:/i.test(line));
    assert.deepEqual(
      lines.map((line) => line.slice(line.indexOf(":") + 1).trim()),
      ["a=1; Path=/", "b=2, c=3; Path=/"],
    );
  });

  test("HEAD gets the fields and no body; a matching If-None-Match or If-Modified-Since gets 304", async () => {
    const head = await request(server.port, "HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {
      head: true,
    });
    assert.equal(head.status, 200);
    assert.equal(head.headers["content-length"], "13");
    assert.equal(head.body.length, 0);
    const etag = await get(server.port, "/etag", 'If-None-Match: "v0", "v1"\r\n');
    assert.equal(etag.status, 304);
    assert.equal(etag.headers.etag, '"v1"');
    assert.equal(etag.body.length, 0);
    const since = await get(server.port, "/etag", "If-Modified-Since: Wed, 02 Dec 2026 10:00:00 GMT\r\n");
    assert.equal(since.status, 304);
    const changed = await get(server.port, "/etag", 'If-None-Match: "v0"\r\n');
    assert.equal(changed.status, 200);
    assert.equal(changed.body.toString(), "tagged");
  });

  test("the request's signal aborts and a streamed body is cancelled when the client goes away", async () => {
    type Status = { waiting: number; aborted: number; cancelled: number };
    const status = async (): Promise<Status> =>
      JSON.parse((await get(server.port, "/status")).body.toString()) as Status;
    const before = await status();
    const waiting = await connect(server.port);
    waiting.write("GET /wait-abort HTTP/1.1\r\nHost: x\r\n\r\n");
    const streaming = await connect(server.port);
    streaming.write("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n");
    await readUntil(streaming, "xxxx");
    // The first request must have reached the app before its client leaves.
    await until("the app to be waiting", async () => (await status()).waiting > before.waiting);
    // A client that goes away resets the connection; one that only half-closes (FIN) still gets its
    // answer, as the engine honours half-close (RFC 9112 §9.6), so its signal does not fire then.
    waiting.resetAndDestroy();
    streaming.destroy();
    await until("the abort and the cancel", async () => {
      const now = await status();
      return now.aborted > before.aborted && now.cancelled > before.cancelled;
    });
  });

  test("a throw, a rejection, a non-Response, a bad field and a failing stream cost their request a 500, logged once", async () => {
    for (const target of ["/throw", "/reject", "/not-a-response", "/bad-field", "/stream-fails"]) {
      const res = await get(server.port, target);
      assert.equal(res.status, 500, target);
      assert.equal(res.headers["content-type"], "text/plain; charset=utf-8");
    }
    await until("the log lines", () => server.stderr().includes("stream failed on purpose"));
    const log = server.stderr();
    assert.equal(log.split("thrown on purpose").length - 1, 1, log);
    assert.match(log, /the app failed on GET \/throw: Error: thrown on purpose\n\s+at /);
    assert.match(log, /the app failed on GET \/reject: Error: rejected on purpose/);
    assert.match(log, /GET \/not-a-response: AppError: fetch returned an Object instead of a Response/);
    // The server goes on serving.
    assert.equal((await get(server.port, "/hello")).status, 200);
  });

  test("a stray rejection is logged and the worker carries on", async () => {
    const res = await get(server.port, "/stray");
    assert.equal(res.body.toString(), "fine");
    await until("the log line", () => server.stderr().includes("stray rejection on purpose"));
    assert.match(server.stderr(), /unhandled promise rejection in an app thread: Error: stray rejection on purpose/);
    assert.doesNotMatch(server.stdout(), /exited/);
    assert.equal((await get(server.port, "/hello")).status, 200);
  });

  test("pipelined requests are answered in order, bodies included", async () => {
    const batch =
      "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n" +
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
      "GET /info HTTP/1.1\r\nHost: p\r\n\r\n" +
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n" +
      "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const { bytes } = await exchange(server.port, batch, { timeoutMs: 5000 });
    const responses = parseResponses(bytes);
    assert.deepEqual(
      responses.map((r) => r.body.toString().slice(0, 13)),
      ["Hello, World!", "abc", '{"url":"http:', "de", "Hello, World!"],
    );
    assert.equal(JSON.parse(responses[2]!.body.toString()).url, "http://p/info");
  });

  test("a worker that crashes is replaced", async () => {
    await get(server.port, "/crash");
    await until("the restart", () => /worker 0 exited \(code 1\); restarting/.test(server.stdout()));
    await until("the new worker", async () => (await get(server.port, "/hello").catch(() => null))?.status === 200);
  });
});

test("a Hono app runs unchanged", async () => {
  const dir = makeAppDir({ "app.js": HONO_APP });
  const server = await startServer({ args: ["--app", path.join(dir, "app.js"), "-t", "1", "--quiet"] });
  try {
    const home = await get(server.port, "/");
    assert.equal(home.body.toString(), "Hello from Hono on Portico!");
    const user = await get(server.port, "/users/42", "User-Agent: raw\r\n");
    assert.deepEqual(JSON.parse(user.body.toString()), { id: "42", agent: "raw" });
    const created = await post(server.port, "/users", '{"name":"a"}', "Content-Type: application/json\r\n");
    assert.equal(created.status, 201);
    assert.deepEqual(JSON.parse(created.body.toString()), { name: "a" });
    assert.equal((await get(server.port, "/nope")).status, 404);
    const head = await request(server.port, "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {
      head: true,
    });
    assert.equal(head.status, 200);
    assert.match(head.headers["content-type"] ?? "", /^text\/plain/);
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a TypeScript app with a TypeScript import written as ./greet.js runs without a build step", async () => {
  const dir = makeAppDir({ "app.ts": TS_APP, "greet.ts": TS_HELPER });
  const server = await startServer({ args: ["--app", path.join(dir, "app.ts"), "-t", "1", "--quiet"] });
  try {
    const res = await get(server.port, "/?name=ts");
    assert.equal(res.body.toString(), "hello, ts");
    assert.equal(res.headers["x-tls"], "false");
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("with -t 2 every thread loads the app, and SIGHUP loads changed code into new workers", async () => {
  const dir = makeAppDir({ "app.js": FETCH_APP });
  const file = path.join(dir, "app.js");
  const server = await startServer({ args: ["--app", file, "-t", "2", "--quiet"] });
  try {
    const loads = (): string[] => fs.readFileSync(path.join(dir, "loads.txt"), "utf8").trim().split("\n");
    assert.equal(new Set(loads()).size, 2);
    for (let i = 0; i < 20; i++) assert.equal((await get(server.port, "/hello")).body.toString(), "Hello, World!");
    fs.writeFileSync(file, FETCH_APP.replace('new Response("Hello, World!"', 'new Response("Hello again!"'));
    server.child.kill("SIGHUP");
    // Until the old workers close their listeners a connection may reach one as it closes and be reset
    // (SO_REUSEPORT: each listener has its own accept queue); a client retries, and so does this test.
    const fromNew = (): Promise<boolean> =>
      get(server.port, "/hello").then(
        (res) => res.body.toString() === "Hello again!",
        () => false,
      );
    await until("the new code", fromNew);
    await until("the old workers to drain", () => /reloaded the configuration \(2 threads\)/.test(server.stdout()));
    assert.ok(loads().length >= 4);
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an app that cannot load stops the start with one line naming it", async () => {
  const dir = makeAppDir({ "syntax.js": "export default {", "empty.js": "export const x = 1;\n" });
  try {
    for (const [file, message] of [
      ["syntax.js", /cannot load the app: .*syntax\.js: Unexpected end of input/],
      ["empty.js", /empty\.js must export default an object with a fetch\(request, info\) method/],
      ["missing.js", /--app: .*missing\.js does not exist or cannot be read/],
    ] as const) {
      const failed = await startServer({ args: ["--app", path.join(dir, file), "-t", "1"] }).then(
        async (s) => {
          await s.stop();
          return "started";
        },
        (error: Error) => error.message,
      );
      assert.match(failed, message);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
