// The HTTP/1.1 engine end to end: the real CLI in a child process, spoken to over raw TCP.
// Persistence, pipelining, HEAD, half-close, timeouts, limits, framing errors, Expect, unread bodies,
// graceful shutdown, and the CLI's own error handling.

import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { connect, exchange, parseResponses, type RawResponse, rawRequest, request } from "../helpers/raw.ts";
import { makeSite, type RunningServer, runCli, startServer } from "../helpers/server.ts";
import { delay } from "../helpers/wait.ts";

const BIG = 4 << 20;
const root = makeSite({
  "index.html": "<h1>home</h1>\n",
  "a.txt": "A\n",
  "b.txt": "BB\n",
  "c.txt": "CCC\n",
  "big.bin": Buffer.alloc(BIG, 0x62),
});
let server: RunningServer;

before(async () => {
  server = await startServer({
    args: ["--root", root, "-t", "1", "--headers-timeout", "300ms", "--keep-alive-timeout", "300ms"],
  });
});

after(async () => {
  assert.equal(await server.stop(), 0);
});

/** A socket whose received bytes can be awaited piece by piece. */
async function open(port: number): Promise<{
  socket: net.Socket;
  read: (count: number, ms?: number) => Promise<RawResponse[]>;
  ended: Promise<void>;
  bytes: () => Buffer;
}> {
  const socket = await connect(port);
  let data = Buffer.alloc(0);
  let consumed = 0;
  socket.on("data", (d: Buffer) => (data = Buffer.concat([data, d])));
  const ended = new Promise<void>((resolve) => {
    socket.once("end", () => resolve());
    socket.once("close", () => resolve());
  });
  // Generous: a loaded machine (CI shares its cores) may take seconds to answer.
  const read = async (count: number, ms = 15_000): Promise<RawResponse[]> => {
    const deadline = Date.now() + ms;
    while (true) {
      try {
        const responses = parseResponses(data.subarray(consumed));
        if (responses.length >= count) {
          consumed = data.length;
          return responses;
        }
      } catch {
        // incomplete: wait for more
      }
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${count} responses: ${JSON.stringify(data.subarray(consumed).toString("latin1").slice(0, 300))}`,
        );
      await delay(10);
    }
  };
  return { socket, read, ended, bytes: () => data };
}

describe("persistence (RFC 9112 §9.3)", () => {
  test("HTTP/1.1 keeps the connection open by default", async () => {
    const c = await open(server.port);
    c.socket.write(rawRequest("/a.txt"));
    const [first] = await c.read(1);
    assert.equal(first!.body.toString(), "A\n");
    assert.equal(first!.headers.connection, undefined);
    c.socket.write(rawRequest("/b.txt"));
    const [second] = await c.read(1);
    assert.equal(second!.body.toString(), "BB\n");
    c.socket.destroy();
  });

  test("HTTP/1.0 with Connection: keep-alive keeps it open", async () => {
    const c = await open(server.port);
    c.socket.write("GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const [first] = await c.read(1);
    assert.equal(first!.headers.connection, "keep-alive");
    c.socket.write("GET /b.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const [second] = await c.read(1);
    assert.equal(second!.body.toString(), "BB\n");
    c.socket.destroy();
  });

  test("HTTP/1.0 without keep-alive closes after the response", async () => {
    const res = await request(server.port, "GET /a.txt HTTP/1.0\r\n\r\n");
    assert.equal(res.headers.connection, "close");
    assert.equal(res.closed, true);
  });

  test("Connection: close closes after the response", async () => {
    const res = await request(server.port, rawRequest("/a.txt", { close: true }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.connection, "close");
    assert.equal(res.closed, true);
  });

  test("an idle kept-alive connection is closed after the keep-alive timeout", async () => {
    const c = await open(server.port);
    c.socket.write(rawRequest("/a.txt"));
    await c.read(1);
    await c.ended;
    assert.equal(c.bytes().toString().split("HTTP/1.1").length - 1, 1, "no 408 on an idle connection");
  });
});

describe("pipelining and HEAD", () => {
  test("several requests in one write are answered in order", async () => {
    const { bytes } = await exchange(
      server.port,
      rawRequest("/a.txt") + rawRequest("/b.txt") + rawRequest("/c.txt") + rawRequest("/", { close: true }),
    );
    assert.deepEqual(
      parseResponses(bytes).map((r) => r.body.toString()),
      ["A\n", "BB\n", "CCC\n", "<h1>home</h1>\n"],
    );
  });

  test("HEAD has the GET's fields and no body (RFC 9110 §9.3.2)", async () => {
    const c = await open(server.port);
    c.socket.write(
      rawRequest("/c.txt") + `HEAD /c.txt HTTP/1.1\r\nHost: t\r\n\r\n` + rawRequest("/a.txt", { close: true }),
    );
    await c.ended;
    const all = parseResponses(c.bytes(), new Set([1]));
    assert.equal(all.length, 3);
    const [g, h, next] = all;
    for (const name of ["content-length", "content-type", "etag", "last-modified"])
      assert.equal(h!.headers[name], g!.headers[name], name);
    assert.equal(h!.body.length, 0);
    assert.equal(next!.body.toString(), "A\n", "the byte stream stays in step after HEAD");
    c.socket.destroy();
  });

  test("half-close: a request followed by FIN is answered, then the server closes", async () => {
    const { bytes, closed } = await exchange(server.port, rawRequest("/a.txt") + rawRequest("/b.txt"), { end: true });
    assert.deepEqual(
      parseResponses(bytes).map((r) => r.body.toString()),
      ["A\n", "BB\n"],
    );
    assert.equal(closed, true);
  });
});

describe("timeouts and limits", () => {
  test("a head that arrives too slowly gets a 408 and a close", async () => {
    const c = await open(server.port);
    c.socket.write("GET /a.txt HTTP/1.1\r\nHost:");
    const [res] = await c.read(1);
    assert.equal(res!.status, 408);
    await c.ended;
  });

  test("a request line over 8 KiB is a 414", async () => {
    const res = await request(server.port, rawRequest(`/${"x".repeat(9000)}`));
    assert.equal(res.status, 414);
    assert.equal(res.closed, true);
  });

  test("a client silent until just before the headers timeout cannot stretch it by trickling bytes", async () => {
    // The head must be complete within --headers-timeout of accept. A client that waits until
    // just before the deadline and then sends one byte at a time must get its 408 at that deadline,
    // not a whole timeout after its first byte (which would let it trickle ~10 bytes here).
    const slow = await startServer({ args: ["--root", root, "-t", "1", "--headers-timeout", "3s"] });
    try {
      const c = await open(slow.port);
      await delay(2700);
      const head = "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n";
      let sent = 0;
      let answered = false;
      const response = c.read(1, 30_000).finally(() => (answered = true));
      while (!answered && sent < head.length - 1) {
        c.socket.write(head[sent]!);
        sent++;
        await delay(300);
      }
      const [res] = await response;
      assert.equal(res!.status, 408);
      assert.ok(sent < 6, `the 408 came only after ${sent} trickled bytes`);
      await c.ended;
    } finally {
      await slow.stop();
    }
  });

  test("a 20,000-byte request-target is a 414, though the head is also over the header-section limit", async () => {
    const res = await request(server.port, rawRequest(`/${"x".repeat(20_000)}`));
    assert.equal(res.status, 414);
    assert.equal(res.closed, true);
  });

  test("a header block over 16 KiB is a 431", async () => {
    const res = await request(server.port, rawRequest("/", { fields: `X-Big: ${"y".repeat(17000)}\r\n` }));
    assert.equal(res.status, 431);
  });

  test("more than 100 header fields is a 431", async () => {
    const fields = Array.from({ length: 101 }, (_, i) => `X-${i}: 1\r\n`).join("");
    const res = await request(server.port, rawRequest("/", { fields: fields }));
    assert.equal(res.status, 431);
  });

  test("custom --max-request-line, --max-header-size, --max-headers and --max-body apply", async () => {
    const custom = await startServer({
      args: [
        "--root",
        root,
        "-t",
        "1",
        "--max-request-line",
        "128",
        "--max-header-size",
        "512",
        "--max-headers",
        "4",
        "--max-body",
        "10",
      ],
    });
    try {
      assert.equal((await request(custom.port, rawRequest(`/${"x".repeat(120)}`))).status, 414);
      assert.equal((await request(custom.port, rawRequest(`/${"x".repeat(100)}`, { close: true }))).status, 404);
      assert.equal((await request(custom.port, rawRequest("/", { fields: `X: ${"y".repeat(500)}\r\n` }))).status, 431);
      assert.equal(
        (await request(custom.port, rawRequest("/", { fields: "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n" }))).status,
        431,
      );
      assert.equal(
        (await request(custom.port, rawRequest("/a.txt", { fields: "A: 1\r\nConnection: close\r\n" }))).status,
        200,
      );
      assert.equal(
        (await request(custom.port, "PUT /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world")).status,
        413,
      );
      const chunked =
        "PUT /a.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n";
      assert.equal(
        (await request(custom.port, chunked)).status,
        405,
        "the handler answers first; the unread body is then discarded",
      );
    } finally {
      assert.equal(await custom.stop(), 0);
    }
  });
});

describe("framing and expectations", () => {
  test("Content-Length with Transfer-Encoding is a 400 and a close (RFC 9112 §6.1)", async () => {
    const res = await request(
      server.port,
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
        rawRequest("/a.txt"),
    );
    assert.equal(res.status, 400);
    assert.equal(res.headers.connection, "close");
    assert.equal(res.closed, true);
  });

  test("a bare LF line ending is a 400 (RFC 9112 §2.2)", async () => {
    const res = await request(server.port, "GET /a.txt HTTP/1.1\nHost: t\n\n");
    assert.equal(res.status, 400);
    assert.equal(res.closed, true);
  });

  test("a POST with a body to a static file is a 405, the body is discarded and the next request answered", async () => {
    const { bytes } = await exchange(
      server.port,
      "POST /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world" +
        rawRequest("/b.txt", { close: true }),
    );
    const [post, next] = parseResponses(bytes);
    assert.equal(post!.status, 405);
    assert.equal(post!.headers.allow, "GET, HEAD, OPTIONS");
    assert.equal(next!.status, 200);
    assert.equal(next!.body.toString(), "BB\n");
  });

  test("a chunked body with trailers is discarded exactly and the next request answered", async () => {
    const body = "4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n";
    const { bytes } = await exchange(
      server.port,
      `PUT /a.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${body}` +
        rawRequest("/c.txt", { close: true }),
    );
    const [put, next] = parseResponses(bytes);
    assert.equal(put!.status, 405);
    assert.equal(next!.body.toString(), "CCC\n");
  });

  test("Expect: 100-continue on a request whose body is not wanted gets the final status only", async () => {
    const c = await open(server.port);
    c.socket.write("PUT /a.txt HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    const [res] = await c.read(1);
    assert.equal(res!.status, 405);
    assert.ok(!c.bytes().toString().includes("100 Continue"));
    // The client may never send the body, so the connection cannot be reused (RFC 9110 §10.1.1)
    // — and the response says so.
    assert.equal(res!.headers.connection, "close");
    await c.ended;
  });

  test("a response that leaves a large request body unread says Connection: close", async () => {
    const c = await open(server.port);
    c.socket.write("POST /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\npartial");
    const [res] = await c.read(1);
    assert.equal(res!.status, 405);
    assert.equal(res!.headers.connection, "close");
    await c.ended;
  });

  test("a response that leaves a small request body unread keeps the connection", async () => {
    const { bytes } = await exchange(
      server.port,
      "POST /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" + rawRequest("/b.txt", { close: true }),
    );
    const [post] = parseResponses(bytes);
    assert.equal(post!.headers.connection, undefined);
  });

  test("an expectation other than 100-continue is a 417 (RFC 9110 §10.1.1)", async () => {
    const res = await request(server.port, rawRequest("/a.txt", { fields: "Expect: something-else\r\n" }));
    assert.equal(res.status, 417);
  });

  test("an unknown method is a 501, a known one not allowed a 405", async () => {
    assert.equal(
      (await request(server.port, "BREW /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")).status,
      501,
    );
    assert.equal(
      (await request(server.port, "DELETE /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")).status,
      405,
    );
  });

  test("HTTP/2.0 in a request line is a 505", async () => {
    assert.equal((await request(server.port, "GET / HTTP/2.0\r\nHost: t\r\n\r\n")).status, 505);
  });
});

describe("shutdown and CLI", () => {
  test("SIGTERM lets an in-flight response finish, then exits 0", async () => {
    const own = await startServer({ args: ["--root", root, "-t", "1"] });
    const c = await open(own.port);
    c.socket.pause();
    c.socket.write(rawRequest("/big.bin"));
    await delay(200);
    own.child.kill("SIGTERM");
    await delay(200);
    c.socket.resume();
    const [res] = await c.read(1, 8000);
    assert.equal(res!.status, 200);
    assert.equal(res!.body.length, BIG);
    assert.equal(await own.stop(), 0);
  });

  test("an unknown flag is one line on stderr and exit 1", async () => {
    const { code, stderr } = await runCli(["--no-such-flag"]);
    assert.equal(code, 1);
    assert.equal(stderr.trim().split("\n").length, 1);
    assert.match(stderr, /--no-such-flag/);
  });

  test("a missing root is one line on stderr and exit 1", async () => {
    const { code, stderr } = await runCli(["--root", "/nonexistent/portico-test", "0"]);
    assert.equal(code, 1);
    assert.equal(stderr.trim().split("\n").length, 1);
    assert.match(stderr, /root/);
  });

  test("a port in use is one line on stderr and exit 1", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const { code, stderr } = await runCli(["--root", root, "-t", "1", String(port)]);
      assert.equal(code, 1);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      assert.match(stderr, /in use/);
    } finally {
      blocker.close();
    }
  });

  test("--help prints usage and exits 0", async () => {
    const { code, stdout } = await runCli(["--help"]);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: portico/);
    assert.match(stdout, /--max-request-line/);
  });

  test("--help keeps a space between a long flag and its help text", async () => {
    const { stdout } = await runCli(["--help"]);
    for (const line of stdout.split("\n").filter((l) => /^\s+(-\w, )?--\w/.test(l))) {
      assert.match(line, /^\s+(-\w, )?--[\w-]+( \S+)?\s{2,}\S/, line);
    }
  });

  test("--version prints the version and exits 0", async () => {
    const { code, stdout } = await runCli(["--version"]);
    assert.equal(code, 0);
    assert.match(stdout.trim(), /^portico \d+\.\d+\.\d+$/);
  });
});
