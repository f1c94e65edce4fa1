// In-process tests of one connection's life with custom handlers: handler failures, declines, body
// delivery with backpressure, 100-continue, body limits, chunked bodies over many writes, half-close,
// discarding unread bodies, closing after large responses, and the diagnostics_channel events.

import assert from "node:assert/strict";
import diagnosticsChannel from "node:diagnostics_channel";
import type net from "node:net";
import { after, describe, test } from "node:test";
import type { EngineOptions } from "../../src/http/engine-options.ts";
import type { RequestFinishMessage, RequestStartMessage } from "../../src/http/events.ts";
import { type Handler, HandlerChain } from "../../src/http/handler.ts";
import type { Request } from "../../src/http/request.ts";
import type { Response } from "../../src/http/response.ts";
import { HttpServer } from "../../src/http/server.ts";
import { holdWrites } from "../../src/http/transport.ts";
import { TEST_ENGINE_OPTIONS } from "../helpers/engine-options.ts";
import { connect, exchange, parseResponses, rawRequest } from "../helpers/raw.ts";
import { delay } from "../helpers/wait.ts";

const OPTIONS: EngineOptions = TEST_ENGINE_OPTIONS;

const servers: HttpServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close(100)));
});

async function serve(
  handler: Handler | ((req: Request, res: Response) => boolean | Promise<boolean>),
  options: Partial<EngineOptions> = {},
): Promise<number> {
  const h: Handler = typeof handler === "function" ? { handle: handler } : handler;
  const server = new HttpServer(h, { ...OPTIONS, ...options });
  servers.push(server);
  const address = await server.listen({ port: 0, host: "127.0.0.1" });
  return address.port;
}

/** Echoes method, path and the whole body. */
async function echo(req: Request, res: Response): Promise<boolean> {
  const body = await req.readBodyFull(1 << 30);
  res.send(200, ["X-Method", req.method, "X-Path", req.path], body);
  return true;
}

/** Collects what a socket receives; `until` waits for a predicate on the bytes so far. */
function collector(socket: net.Socket): {
  bytes: () => Buffer;
  until: (p: (b: Buffer) => boolean, ms?: number) => Promise<Buffer>;
  closed: Promise<void>;
} {
  const chunks: Buffer[] = [];
  const waiters: Array<() => void> = [];
  socket.on("data", (d: Buffer) => {
    chunks.push(d);
    for (const w of waiters.splice(0)) w();
  });
  // The helpers' sockets allow half-open connections: the server's FIN shows as "end".
  const closed = new Promise<void>((resolve) => {
    socket.once("end", () => resolve());
    socket.once("close", () => resolve());
  });
  const bytes = (): Buffer => Buffer.concat(chunks);
  const until = async (p: (b: Buffer) => boolean, ms = 3000): Promise<Buffer> => {
    const deadline = Date.now() + ms;
    while (!p(bytes())) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(bytes().toString("latin1"))}`);
      await Promise.race([new Promise<void>((r) => waiters.push(r)), delay(50)]);
    }
    return bytes();
  };
  return { bytes, until, closed };
}

describe("handler outcomes", () => {
  test("a handler that throws gets a 500 and the connection stays usable", async () => {
    const port = await serve((req, res) => {
      if (req.path === "/throw") throw new Error("boom");
      res.send(200, [], "fine");
      return true;
    });
    const { bytes } = await exchange(port, rawRequest("/throw") + rawRequest("/ok", { close: true }));
    const [a, b] = parseResponses(bytes);
    assert.equal(a!.status, 500);
    assert.equal(b!.status, 200);
    assert.equal(b!.body.toString(), "fine");
  });

  test("a rejected promise gets a 500 and the connection stays usable", async () => {
    const port = await serve(async (req, res) => {
      await delay(5);
      if (req.path === "/reject") throw new Error("async boom");
      res.send(200, [], "fine");
      return true;
    });
    const { bytes } = await exchange(port, rawRequest("/reject") + rawRequest("/ok", { close: true }));
    assert.deepEqual(
      parseResponses(bytes).map((r) => r.status),
      [500, 200],
    );
  });

  test("a chain in which every handler declines answers 404", async () => {
    const chain = new HandlerChain([{ handle: () => false }, { handle: async () => false }]);
    const port = await serve(chain);
    const { bytes } = await exchange(port, rawRequest("/nothing", { close: true }));
    assert.equal(parseResponses(bytes)[0]!.status, 404);
  });

  test("the first handler in a chain that takes the request answers it", async () => {
    const chain = new HandlerChain([
      { handle: () => false },
      {
        handle: async (_req, res) => {
          res.send(201, [], "second");
          return true;
        },
      },
    ]);
    const port = await serve(chain);
    const { bytes } = await exchange(port, rawRequest("/", { close: true }));
    assert.equal(parseResponses(bytes)[0]!.status, 201);
  });
});

describe("request bodies", () => {
  test("readBody delivers the body with backpressure: data() false pauses until resumeBody", async () => {
    const seen: string[] = [];
    let pausedOnce = false;
    const port = await serve((req, res) => {
      let body = "";
      req.readBody({
        data(chunk) {
          body += chunk.toString();
          seen.push("data");
          if (!pausedOnce) {
            pausedOnce = true;
            setTimeout(() => {
              seen.push("resume");
              req.resumeBody();
            }, 50);
            return false;
          }
          return true;
        },
        end() {
          res.send(200, [], body);
        },
        error(err) {
          res.send(500, [], String(err));
        },
      });
      return true;
    });
    const socket = await connect(port);
    const c = collector(socket);
    socket.write(`POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nConnection: close\r\n\r\nhello`);
    await delay(20);
    socket.write("world");
    await c.closed;
    const [res] = parseResponses(c.bytes());
    assert.equal(res!.body.toString(), "helloworld");
    assert.equal(seen[0], "data");
    assert.equal(seen[1], "resume", "no data is delivered while paused");
  });

  test("a handler slow to resume the body is not taken for a slow client (no 408)", async () => {
    const port = await serve(
      (req, res) => {
        let body = "";
        let paused = false;
        req.readBody({
          data(chunk) {
            body += chunk.toString();
            if (paused) return true;
            paused = true;
            setTimeout(() => req.resumeBody(), 700);
            return false;
          },
          end() {
            res.send(200, [], body);
          },
          error(err) {
            if (!res.headersSent) res.send(500, [], String(err));
          },
        });
        return true;
      },
      { bodyTimeoutMs: 200 },
    );
    const socket = await connect(port);
    const c = collector(socket);
    socket.write("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nConnection: close\r\n\r\nhello");
    await delay(20);
    socket.write("world");
    await c.closed;
    const [res] = parseResponses(c.bytes());
    assert.equal(res!.status, 200);
    assert.equal(res!.body.toString(), "helloworld");
  });

  test("100 Continue is sent only once readBody is called (RFC 9110 §10.1.1)", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const port = await serve(async (req, res) => {
      await gate;
      return echo(req, res);
    });
    const socket = await connect(port);
    const c = collector(socket);
    socket.write(
      "POST /up HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\nConnection: close\r\n\r\n",
    );
    await delay(100);
    assert.equal(c.bytes().length, 0, "nothing before the handler reads the body");
    release();
    await c.until((b) => b.toString().startsWith("HTTP/1.1 100 Continue\r\n\r\n"));
    socket.write("data");
    await c.closed;
    const text = c.bytes().toString();
    const final = parseResponses(Buffer.from(text.slice("HTTP/1.1 100 Continue\r\n\r\n".length)));
    assert.equal(final[0]!.status, 200);
    assert.equal(final[0]!.body.toString(), "data");
  });

  test("no 100 Continue when the handler answers without reading the body", async () => {
    const port = await serve((_req, res) => {
      res.send(403, [], "no");
      return true;
    });
    const socket = await connect(port);
    const c = collector(socket);
    socket.write("PUT /x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    await c.closed;
    const text = c.bytes().toString();
    assert.ok(!text.includes("100 Continue"));
    assert.equal(parseResponses(c.bytes())[0]!.status, 403);
  });

  test("a Content-Length over the body limit is a 413 before the handler runs", async () => {
    let called = false;
    const port = await serve(
      (req, res) => {
        called = true;
        return echo(req, res);
      },
      { maxBodyBytes: 10 },
    );
    const { bytes, closed } = await exchange(
      port,
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n01234567890",
    );
    assert.equal(parseResponses(bytes)[0]!.status, 413);
    assert.equal(closed, true);
    assert.equal(called, false);
  });

  test("a chunked body growing over the body limit is a 413", async () => {
    const port = await serve(echo, { maxBodyBytes: 10 });
    const { bytes, closed } = await exchange(
      port,
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n6\r\n012345\r\n0\r\n\r\n",
    );
    assert.equal(parseResponses(bytes)[0]!.status, 413);
    assert.equal(closed, true);
  });

  test("a reload's chunked limits apply on a kept-alive connection that has read no body yet", async () => {
    // GETs are answered without touching the body, so the connection reads its first body after the reload.
    const handler: Handler = {
      handle(req, res) {
        if (req.method !== "GET") return echo(req, res);
        res.send(200, [], "ok");
        return true;
      },
    };
    const server = new HttpServer(handler, OPTIONS);
    servers.push(server);
    const { port } = await server.listen({ port: 0, host: "127.0.0.1" });
    const socket = await connect(port);
    const c = collector(socket);
    socket.write("GET /first HTTP/1.1\r\nHost: t\r\n\r\n");
    await c.until((b) => parseResponses(b).length === 1);
    // A connection takes new options as a response ends: the second GET's end brings them in.
    server.reconfigure(handler, { ...OPTIONS, chunkedLimits: { ...OPTIONS.chunkedLimits, maxTrailerBytes: 16 } });
    socket.write("GET /second HTTP/1.1\r\nHost: t\r\n\r\n");
    await c.until((b) => parseResponses(b).length === 2);
    // A trailer section past the new limit is refused.
    socket.write(
      `POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-Trailer: ${"t".repeat(64)}\r\n\r\n`,
    );
    await c.until((b) => parseResponses(b).length === 3);
    const post = parseResponses(c.bytes())[2]!;
    assert.notEqual(post.status, 200);
    assert.ok(post.status >= 400 && post.status < 500, `status ${post.status}`);
    socket.destroy();
  });

  test("a chunked body arriving in many small writes decodes whole", async () => {
    const port = await serve(echo);
    const socket = await connect(port);
    socket.setNoDelay(true);
    const c = collector(socket);
    const wire =
      "POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
      "5;x=y\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: 1\r\n\r\n";
    for (let i = 0; i < wire.length; i += 3) {
      socket.write(wire.slice(i, i + 3));
      await delay(1);
    }
    await c.closed;
    const [res] = parseResponses(c.bytes());
    assert.equal(res!.status, 200);
    assert.equal(res!.body.toString(), "hello world");
  });

  test("a malformed chunked body is a 400 that closes", async () => {
    const port = await serve(echo);
    const { bytes, closed } = await exchange(
      port,
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    );
    assert.equal(parseResponses(bytes)[0]!.status, 400);
    assert.equal(closed, true);
  });

  test("a body framing error closes the connection even when the handler answers it at once", async () => {
    const port = await serve((req, res) => {
      req.readBody({
        data: () => true,
        end: () => res.send(200, [], "ok"),
        error: () => {
          if (!res.headersSent) res.send(422, [], "bad body");
        },
      });
      return true;
    });
    const smuggled = rawRequest("/smuggled");
    const { bytes, closed } = await exchange(
      port,
      `POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX${smuggled}`,
    );
    const responses = parseResponses(bytes);
    assert.deepEqual(
      responses.map((r) => r.status),
      [422],
    );
    assert.equal(responses[0]!.headers.connection, "close");
    assert.equal(closed, true);
  });

  test("an unread body is discarded and the next pipelined request is answered", async () => {
    const port = await serve((req, res) => {
      res.send(200, [], req.path);
      return true;
    });
    const { bytes } = await exchange(
      port,
      "POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" +
        "POST /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n" +
        rawRequest("/c", { close: true }),
    );
    assert.deepEqual(
      parseResponses(bytes).map((r) => r.body.toString()),
      ["/a", "/b", "/c"],
    );
  });

  test("a large unread chunked body held while the handler works is still discarded", async () => {
    // More than the 1 MiB the connection buffers before it pauses reading.
    const port = await serve(async (req, res) => {
      await delay(req.path === "/big" ? 300 : 0);
      res.send(200, [], req.path);
      return true;
    });
    const chunk = `100000\r\n${"x".repeat(0x100000)}\r\n`;
    const body = chunk.repeat(3) + "0\r\n\r\n";
    const { bytes } = await exchange(
      port,
      `POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${body}` +
        rawRequest("/next", { close: true }),
      { timeoutMs: 4000 },
    );
    assert.deepEqual(
      parseResponses(bytes).map((r) => r.body.toString()),
      ["/big", "/next"],
    );
  });
});

describe("heads that arrive whole (parsed without a separate scan for their end)", () => {
  test("pipelined requests in one read, the read ending in an empty line, are each answered in order", async () => {
    const port = await serve(echo);
    const { bytes } = await exchange(
      port,
      rawRequest("/a") +
        `POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n\r\nxx\r\n\r\nxx` +
        rawRequest("/c", { close: true }),
    );
    const responses = parseResponses(bytes);
    assert.deepEqual(
      responses.map((r) => r.headers["x-path"]),
      ["/a", "/b", "/c"],
    );
    assert.equal(responses[1]!.body.toString(), "xx\r\n\r\nxx", "a body holding an empty line is body, not a head end");
  });

  test("a bad head in such a read gets the error the scan gives: bare LF 400, oversized head 431, long line 414", async () => {
    const port = await serve(echo, { limits: { ...OPTIONS.limits, maxHeaderBytes: 200 } });
    const bareLf = parseResponses((await exchange(port, "GET / HTTP/1.1\r\nHost: t\nX: 1\r\n\r\n")).bytes);
    assert.equal(bareLf[0]!.status, 400);
    assert.match(bareLf[0]!.body.toString(), /LF without CR/);
    const large = parseResponses(
      (await exchange(port, `GET / HTTP/1.1\r\nHost: t\r\nX: ${"a".repeat(300)}\r\n\r\n`)).bytes,
    );
    assert.equal(large[0]!.status, 431);
    const roomy = await serve(echo);
    const line = parseResponses(
      (await exchange(roomy, `GET /${"a".repeat(OPTIONS.limits.maxRequestLineBytes)} HTTP/1.1\r\nHost: t\r\n\r\n`))
        .bytes,
    );
    assert.equal(line[0]!.status, 414);
  });
});

describe("half-close", () => {
  test("a request then FIN is answered, then the connection closes", async () => {
    const port = await serve(async (_req, res) => {
      await delay(20);
      res.send(200, [], "late");
      return true;
    });
    const { bytes, closed } = await exchange(port, rawRequest("/"), { end: true });
    assert.equal(parseResponses(bytes)[0]!.body.toString(), "late");
    assert.equal(closed, true);
  });

  test("a complete body followed by FIN is not mistaken for an incomplete one", async () => {
    const port = await serve(async (req, res) => {
      await delay(20);
      const body = await req.readBodyFull(100);
      res.send(200, [], body);
      return true;
    });
    const { bytes, closed } = await exchange(port, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody", {
      end: true,
    });
    const [res] = parseResponses(bytes);
    assert.equal(res!.status, 200);
    assert.equal(res!.body.toString(), "body");
    assert.equal(closed, true);
  });

  test("an async handler that ignores a complete body is still answered after FIN", async () => {
    const port = await serve(async (_req, res) => {
      await delay(20);
      res.send(202, [], "ignored the body");
      return true;
    });
    const { bytes, closed } = await exchange(port, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody", {
      end: true,
    });
    assert.equal(parseResponses(bytes)[0]!.status, 202);
    assert.equal(closed, true);
  });

  test("a body cut short by FIN fails the reader with a 400", async () => {
    let failure: unknown;
    const port = await serve(async (req, res) => {
      try {
        await req.readBodyFull(100);
        res.send(200, []);
      } catch (error) {
        failure = error;
        if (!res.headersSent) res.send(499, []);
      }
      return true;
    });
    const { bytes, closed } = await exchange(port, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nshort", {
      end: true,
    });
    assert.equal(parseResponses(bytes)[0]!.status, 400);
    assert.equal(closed, true);
    assert.ok(failure !== undefined);
  });
});

describe("idle connections", () => {
  test("a stray CRLF after a request leaves the connection idle: no 408 at the timeout (RFC 9112 §2.2)", async () => {
    const port = await serve(
      (_req, res) => {
        res.send(200, [], "x");
        return true;
      },
      { keepAliveTimeoutMs: 200, headersTimeoutMs: 200 },
    );
    const { bytes, closed } = await exchange(port, `POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nb\r\n`);
    assert.deepEqual(
      parseResponses(bytes).map((r) => r.status),
      [200],
    );
    assert.equal(closed, true);
  });

  test("a stray CRLF split across two reads also leaves the connection idle", async () => {
    const port = await serve(
      (_req, res) => {
        res.send(200, [], "x");
        return true;
      },
      { keepAliveTimeoutMs: 200, headersTimeoutMs: 200 },
    );
    const socket = await connect(port);
    socket.setNoDelay(true);
    const c = collector(socket);
    socket.write(`${rawRequest("/")}\r`);
    await delay(30);
    socket.write("\n");
    await c.closed;
    assert.deepEqual(
      parseResponses(c.bytes()).map((r) => r.status),
      [200],
    );
  });

  test("a head started after a split stray CRLF gets the headers timeout, not the idle one", async () => {
    const port = await serve(
      (req, res) => {
        res.send(200, [], req.path);
        return true;
      },
      { keepAliveTimeoutMs: 300, headersTimeoutMs: 5000 },
    );
    const socket = await connect(port);
    socket.setNoDelay(true);
    const c = collector(socket);
    socket.write(`${rawRequest("/1")}\r`);
    await delay(30);
    socket.write("\n");
    await delay(100);
    socket.write("GET /2 HTTP/1.1\r\nHost: t\r\n");
    await delay(600);
    socket.write("Connection: close\r\n\r\n");
    await c.closed;
    assert.deepEqual(
      parseResponses(c.bytes()).map((r) => r.body.toString()),
      ["/1", "/2"],
    );
  });

  test("empty lines before a pipelined request are skipped", async () => {
    const port = await serve((req, res) => {
      res.send(200, [], req.path);
      return true;
    });
    const { bytes } = await exchange(port, `${rawRequest("/1")}\r\n\r\n${rawRequest("/2", { close: true })}`);
    assert.deepEqual(
      parseResponses(bytes).map((r) => r.body.toString()),
      ["/1", "/2"],
    );
  });
});

describe("closing", () => {
  test("a large response before a close is not cut short by the linger timer", async () => {
    const size = 8 << 20;
    const port = await serve(
      (_req, res) => {
        res.closeAfter();
        res.send(200, [], Buffer.alloc(size, 0x61));
        return true;
      },
      { lingerMs: 100 },
    );
    const socket = await connect(port);
    const c = collector(socket);
    socket.pause();
    socket.write(rawRequest("/big"));
    await delay(600);
    socket.resume();
    await c.closed;
    const [res] = parseResponses(c.bytes());
    assert.equal(res!.body.length, size);
  });

  test("a client's Connection: close ends the connection right after the whole response, many times over", async () => {
    const port = await serve((_req, res) => {
      res.send(200, [], Buffer.alloc(2048, 0x62));
      return true;
    });
    for (let i = 0; i < 50; i++) {
      const socket = await connect(port);
      const c = collector(socket);
      let reset = false;
      socket.on("error", () => (reset = true));
      socket.write(rawRequest(`/${i}`, { close: true }));
      await c.closed;
      const [res] = parseResponses(c.bytes());
      assert.equal(res!.body.length, 2048);
      assert.equal(res!.headers.connection, "close");
      assert.equal(reset, false);
    }
  });

  test("Connection: close with an unread body still lingers: the client gets the response, not a reset", async () => {
    const port = await serve(
      (_req, res) => {
        // Answered without reading the body, which is larger than the discard limit.
        res.send(413, [], "too big\n");
        return true;
      },
      { discardBodyBytes: 1024 },
    );
    const socket = await connect(port);
    const c = collector(socket);
    let reset = false;
    socket.on("error", () => (reset = true));
    const body = Buffer.alloc(256 * 1024, 0x63);
    socket.write(`POST /up HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`);
    // The body keeps coming after the response was sent.
    for (let off = 0; off < body.length; off += 16 * 1024) {
      socket.write(body.subarray(off, off + 16 * 1024));
      await delay(2);
    }
    await c.closed;
    assert.equal(parseResponses(c.bytes())[0]!.status, 413);
    assert.equal(reset, false);
  });

  test("a closing client refused with 413 while still sending its body gets the 413 and a clean close, not a reset", async () => {
    const port = await serve(
      (_req, res) => {
        res.send(200, [], "ok\n");
        return true;
      },
      { maxBodyBytes: 1000 },
    );
    for (const head of [
      "POST /x HTTP/1.0\r\nContent-Length: 100000000\r\n\r\n",
      "POST /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 100000000\r\n\r\n",
    ]) {
      for (let i = 0; i < 3; i++) {
        const socket = await connect(port);
        const c = collector(socket);
        let reset = false;
        let writing = true;
        socket.on("error", () => {
          reset = true;
          writing = false;
        });
        socket.once("end", () => (writing = false));
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const pump = (): void => {
          while (writing && !socket.destroyed && socket.write(chunk));
        };
        socket.on("drain", pump);
        socket.write(head);
        pump();
        await c.closed;
        socket.destroy();
        assert.equal(parseResponses(c.bytes())[0]!.status, 413);
        assert.equal(reset, false, head);
      }
    }
  });

  test("a body reader that pauses on the last chunk does not stall the next pipelined request", async () => {
    for (const later of [false, true]) {
      const port = await serve(
        (req, res) => {
          if (!req.hasBody) {
            res.send(200, [], "second");
            return true;
          }
          req.readBody({
            data: () => {
              setTimeout(() => req.resumeBody(), 20);
              return false;
            },
            end: () => {
              const send = (): void => res.send(200, [], "first");
              if (later) setImmediate(send);
              else send();
            },
            error: () => {},
          });
          return true;
        },
        { headersTimeoutMs: 3000 },
      );
      const socket = await connect(port);
      const c = collector(socket);
      // The second head arrives in two pieces, the second after the first response.
      socket.write("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\n");
      await delay(150);
      socket.write("Host: a\r\nConnection: close\r\n\r\n");
      await c.until((b) => b.includes("second"), 2500);
      assert.deepEqual(
        parseResponses(c.bytes()).map((r) => r.body.toString()),
        ["first", "second"],
      );
      socket.destroy();
    }
  });

  test("a client's FIN read while its response is still held for the log does not lose the response", async () => {
    const port = await serve(
      (_req, res) => {
        // Answer from an immediate: the hold then lasts into the next turn, when the FIN is read.
        setImmediate(() => {
          holdWrites(() => {});
          res.send(200, [], "held");
        });
        return true;
      },
      { maxRequestsPerConnection: 1 },
    );
    for (let i = 0; i < 20; i++) {
      const socket = await connect(port);
      const c = collector(socket);
      socket.end(rawRequest(`/${i}`));
      await c.closed;
      const [res] = parseResponses(c.bytes());
      assert.equal(res?.body.toString(), "held", `request ${i}`);
    }
  });

  test("a request over the per-connection limit closes after its response", async () => {
    const port = await serve(
      (_req, res) => {
        res.send(200, [], "x");
        return true;
      },
      { maxRequestsPerConnection: 2 },
    );
    const { bytes, closed } = await exchange(port, rawRequest("/1") + rawRequest("/2") + rawRequest("/3"));
    const responses = parseResponses(bytes);
    assert.equal(responses.length, 2);
    assert.equal(responses[1]!.headers.connection, "close");
    assert.equal(closed, true);
  });
});

describe("diagnostics_channel events", () => {
  test("start and finish carry method, target, status, bytes and duration", async () => {
    const starts: RequestStartMessage[] = [];
    const finishes: RequestFinishMessage[] = [];
    const onStart = (m: unknown): void => void starts.push(m as RequestStartMessage);
    const onFinish = (m: unknown): void => void finishes.push(m as RequestFinishMessage);
    diagnosticsChannel.subscribe("portico:http.request.start", onStart);
    diagnosticsChannel.subscribe("portico:http.request.finish", onFinish);
    try {
      const port = await serve(async (_req, res) => {
        await delay(10);
        res.send(201, [], "12345");
        return true;
      });
      await exchange(port, rawRequest("/ev?q=1", { close: true }));
      const start = starts.find((m) => m.request.target === "/ev?q=1");
      const finish = finishes.find((m) => m.request.target === "/ev?q=1");
      assert.ok(start !== undefined && finish !== undefined);
      assert.equal(start.request.method, "GET");
      assert.equal(finish.request.method, "GET");
      assert.equal(finish.status, 201);
      assert.equal(finish.bodyBytes, 5);
      assert.equal(finish.handled, true);
      assert.equal(finish.complete, true);
      assert.ok(finish.durationMs >= 5, `duration ${finish.durationMs}`);
    } finally {
      diagnosticsChannel.unsubscribe("portico:http.request.start", onStart);
      diagnosticsChannel.unsubscribe("portico:http.request.finish", onFinish);
    }
  });

  test("an engine error is published as finished but not handled", async () => {
    const finishes: RequestFinishMessage[] = [];
    const onFinish = (m: unknown): void => void finishes.push(m as RequestFinishMessage);
    diagnosticsChannel.subscribe("portico:http.request.finish", onFinish);
    try {
      const port = await serve(echo);
      await exchange(port, "GET / HTTP/1.1\r\n\r\n");
      assert.ok(finishes.some((m) => m.status === 400 && m.handled === false));
    } finally {
      diagnosticsChannel.unsubscribe("portico:http.request.finish", onFinish);
    }
  });
});
