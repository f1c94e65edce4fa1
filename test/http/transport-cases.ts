// The Transport contract, as cases every implementation must pass: reading, the peer's FIN, end()
// after queued bytes, peer details, backpressure and drained(), corking, the turn's write hold,
// hand-over to a net.Socket, connecting and its failures, and the engine's rule that nothing keeps a
// chunk past its read. uv-transport.test.ts and net-transport.test.ts run them on their transport.
// Not a test file itself.

import assert from "node:assert/strict";
import net from "node:net";
import { after, before, test } from "node:test";
import type { Request } from "../../src/http/request.ts";
import type { Response } from "../../src/http/response.ts";
import { HttpServer } from "../../src/http/server.ts";
import {
  connectTransport,
  holdWrites,
  openListener,
  selectTransport,
  type Transport,
  type TransportKind,
  type TransportOwner,
} from "../../src/http/transport.ts";
import { TEST_ENGINE_OPTIONS } from "../helpers/engine-options.ts";
import { parseResponses } from "../helpers/raw.ts";
import { delay, waitFor } from "../helpers/wait.ts";

export interface TransportHarness {
  /** A listener on 127.0.0.1 whose connections are handed to `onAccept`; resolves with its port. */
  listen(onAccept: (t: Transport) => void): Promise<number>;
  /** A plain client socket to 127.0.0.1:port (allowHalfOpen), closed after the file's tests. */
  connect(port: number): Promise<net.Socket>;
  /** A plain TCP server for connectTransport() to reach, closed after the file's tests. */
  server(onConnection: (s: net.Socket) => void, options?: net.ServerOpts): Promise<number>;
  readonly closers: Array<() => unknown>;
}

export function owner(overrides: Partial<TransportOwner>): TransportOwner {
  return { received() {}, peerEnded() {}, drained() {}, closed() {}, ...overrides };
}

export function readAll(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.on("close", () => resolve(Buffer.concat(chunks)));
  });
}

/** Selects `kind` for this file's process and returns the helpers the cases (and a file's own tests) use. */
export function transportHarness(kind: TransportKind): TransportHarness {
  const closers: Array<() => unknown> = [];
  before(() => {
    const choice = selectTransport(kind);
    assert.ok(!("code" in choice), `transport ${kind}: ${"message" in choice ? choice.message : ""}`);
  });
  after(async () => {
    for (const c of closers) await c();
  });
  return {
    closers,
    async listen(onAccept) {
      const l = await openListener({ port: 0, host: "127.0.0.1" }, onAccept);
      closers.push(() => l.close());
      return l.address().port;
    },
    connect(port) {
      return new Promise((resolve, reject) => {
        const s = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => resolve(s));
        s.on("error", reject);
        closers.push(() => s.destroy());
      });
    },
    async server(onConnection, options = {}) {
      const server = net.createServer(options, onConnection);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      closers.push(() => server.close());
      return (server.address() as net.AddressInfo).port;
    },
  };
}

/** Registers the contract's cases for the harness's transport. */
export function runTransportCases(h: TransportHarness): void {
  test("bytes are read, the peer's FIN is heard, and end() half-closes after queued bytes", async () => {
    let received = "";
    const port = await h.listen((t) => {
      t.start(
        owner({
          received: (chunk) => {
            received += chunk.toString("latin1");
          },
          peerEnded: () => {
            t.write(`got ${received}`);
            t.end();
          },
        }),
      );
    });
    const s = await h.connect(port);
    const reply = readAll(s);
    s.end("hello");
    assert.equal((await reply).toString(), "got hello");
    assert.equal(received, "hello");
  });

  test("peer address and ports are the socket's", async () => {
    const seen = new Promise<{ address: string; port: number; local: number }>((resolve) => {
      void h
        .listen((t) => {
          t.start(owner({}));
          resolve({ address: t.remoteAddress, port: t.remotePort, local: t.localPort });
          t.destroy();
        })
        .then((port) => h.connect(port));
    });
    const { address, port, local } = await seen;
    assert.equal(address, "127.0.0.1");
    assert.ok(port > 0);
    assert.ok(local > 0);
  });

  test("a client that does not read gets write() = false, then one drained() once it reads", async () => {
    const chunk = Buffer.alloc(256 * 1024, 7);
    const total = 40 * chunk.length;
    let drains = 0;
    let refused = false;
    const port = await h.listen((t) => {
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          sent += chunk.length;
          if (!t.write(chunk)) {
            refused = true;
            return;
          }
        }
        t.end();
      };
      t.start(
        owner({
          drained: () => {
            drains++;
            pump();
          },
        }),
      );
      pump();
    });
    const s = await h.connect(port);
    s.pause();
    await delay(100);
    s.resume();
    const body = await readAll(s);
    assert.equal(body.length, total);
    assert.ok(refused, "write() never refused");
    assert.ok(drains >= 1);
  });

  test("a corked write over the high-water mark says wait, and drained() follows even if the kernel takes it all", async () => {
    const result = new Promise<{ ok: boolean; drained: boolean }>((resolve) => {
      void h
        .listen((t) => {
          let ok = true;
          t.start(owner({ drained: () => resolve({ ok, drained: true }) }));
          t.cork();
          ok = t.write(Buffer.alloc(80 * 1024, 1));
          t.uncork();
          if (ok) resolve({ ok, drained: false });
        })
        .then((port) => h.connect(port).then((s) => s.resume()));
    });
    assert.deepEqual(await result, { ok: false, drained: true });
  });

  test("flushed is false while bytes are corked and true once the kernel has them", async () => {
    const states = new Promise<boolean[]>((resolve) => {
      void h
        .listen((t) => {
          t.start(owner({}));
          const seen = [t.flushed];
          t.cork();
          t.write("queued");
          seen.push(t.flushed);
          t.uncork();
          seen.push(t.flushed);
          resolve(seen);
          t.end();
        })
        .then((port) => h.connect(port).then((s) => s.resume()));
    });
    assert.deepEqual(await states, [true, false, true]);
  });

  test("toSocket hands a live connection to a net.Socket that reads and writes", async () => {
    const port = await h.listen((t) => {
      t.start(owner({}));
      const socket = t.toSocket();
      socket.on("data", (d: Buffer) => socket.write(Buffer.from(d.toString().toUpperCase())));
      socket.on("end", () => socket.end());
      socket.resume();
    });
    const s = await h.connect(port);
    const reply = readAll(s);
    s.write("ping ");
    await delay(20);
    s.end("pong");
    assert.equal((await reply).toString(), "PING PONG");
  });

  test("writes held for the turn go out after the hold's callbacks, in order, and a held end() follows them", async () => {
    const events: string[] = [];
    const port = await h.listen((t) => {
      t.start(owner({}));
      holdWrites(() => events.push("before"));
      t.write("one ");
      t.cork();
      t.write("two ");
      t.uncork();
      events.push(t.flushed ? "flushed" : "held");
      events.push(t.settledButHeld ? "settled" : "busy");
      t.end();
    });
    const s = await h.connect(port);
    const reply = await readAll(s);
    assert.equal(reply.toString(), "one two ");
    assert.deepEqual(events, ["held", "settled", "before"]);
  });

  test("closeAfterWrites delivers every written byte, then closes", async () => {
    const big = Buffer.alloc(4 << 20, 0x61);
    let closed = false;
    const port = await h.listen((t) => {
      t.start(owner({ closed: () => void (closed = true) }));
      t.write(big);
      t.closeAfterWrites();
    });
    const s = await h.connect(port);
    s.pause();
    await delay(50);
    s.resume();
    assert.equal((await readAll(s)).length, big.length);
    await waitFor(() => closed, "closed()");
  });

  test("a paused transport reads nothing until resumed", async () => {
    let transport: Transport | null = null;
    let received = "";
    const port = await h.listen((t) => {
      transport = t;
      t.pause();
      t.start(owner({ received: (chunk) => void (received += chunk.toString()) }));
    });
    const s = await h.connect(port);
    s.write("early");
    await delay(50);
    assert.equal(received, "");
    (transport as Transport | null)!.resume();
    await waitFor(() => received === "early", "the bytes read after resume()");
  });

  test("connectTransport reaches a server: connected(), bytes both ways, FIN heard", async () => {
    const port = await h.server((s) => {
      s.on("data", (d: Buffer) => s.end(`echo ${d.toString()}`));
    });
    const outcome = await new Promise<string>((resolve) => {
      let got = "";
      let connected = false;
      const t = connectTransport("127.0.0.1", port, {
        connected: () => void (connected = true),
        received: (chunk) => void (got += chunk.toString()),
        peerEnded: () => t.destroy(),
        drained() {},
        closed: () => resolve(`${connected}|${got}|${t.error}`),
      });
      // Written before the connection is up: goes out once it is.
      t.write("early");
    });
    assert.equal(outcome, "true|echo early|");
  });

  test("a refused connection reports ECONNREFUSED; writes cancelled by a close are not the reported cause", async () => {
    const refused = await new Promise<string>((resolve) => {
      const probe = net.createServer();
      probe.listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => {
          const t = connectTransport("127.0.0.1", port, owner({ closed: () => resolve(t.error) }));
        });
      });
    });
    assert.equal(refused, "ECONNREFUSED");

    // The peer ends while a large write is still queued: closing cancels the write, and the
    // transport still reports no error of its own.
    const port = await h.server(
      (s) => {
        s.pause();
        setTimeout(() => s.end(), 50);
      },
      { allowHalfOpen: true },
    );
    const reported = await new Promise<string>((resolve) => {
      const t = connectTransport("127.0.0.1", port, {
        received() {},
        drained() {},
        connected: () => {
          t.write(Buffer.alloc(32 << 20));
        },
        peerEnded: () => t.destroy(),
        closed: () => resolve(t.error),
      });
    });
    assert.equal(reported, "");
  });

  test("a request answered later reads its own head, though other connections' reads came meanwhile", async () => {
    const server = new HttpServer(
      {
        handle: async (req: Request, res: Response) => {
          // By now other reads have landed (in the shared read buffer, on the handle transport).
          await delay(30);
          res.send(200, ["X-Echo", req.header("x-token") ?? "none", "X-Path", req.path], `${req.method} ${req.target}`);
          return true;
        },
      },
      TEST_ENGINE_OPTIONS,
    );
    h.closers.push(() => server.close(100));
    const { port } = await server.listen({ port: 0, host: "127.0.0.1" });
    const sockets = await Promise.all(Array.from({ length: 8 }, () => h.connect(port)));
    const replies = sockets.map((s) => readAll(s));
    sockets.forEach((s, i) => {
      // Two pipelined requests per connection: the second waits in the connection's buffer.
      s.end(
        `GET /a${i} HTTP/1.1\r\nHost: t\r\nX-Token: first-${i}\r\n\r\nGET /b${i} HTTP/1.1\r\nHost: t\r\nX-Token: second-${i}\r\n\r\n`,
      );
    });
    const all = await Promise.all(replies);
    all.forEach((bytes, i) => {
      const responses = parseResponses(bytes);
      assert.equal(responses.length, 2);
      assert.equal(responses[0]!.headers["x-echo"], `first-${i}`);
      assert.equal(responses[0]!.body.toString(), `GET /a${i}`);
      assert.equal(responses[1]!.headers["x-echo"], `second-${i}`);
      assert.equal(responses[1]!.headers["x-path"], `/b${i}`);
    });
  });

  test("a body handed to a sink stays intact after later reads", async () => {
    const server = new HttpServer(
      {
        handle: (req: Request, res: Response) => {
          const kept: Buffer[] = [];
          req.readBody({
            data: (chunk: Buffer) => {
              kept.push(chunk);
              return true;
            },
            end: () => {
              // Answer after other connections' reads: the kept chunks must still hold this body.
              setTimeout(() => res.send(200, [], Buffer.concat(kept)), 30);
            },
            error: () => {},
          });
          return true;
        },
      },
      TEST_ENGINE_OPTIONS,
    );
    h.closers.push(() => server.close(100));
    const { port } = await server.listen({ port: 0, host: "127.0.0.1" });
    const sockets = await Promise.all(Array.from({ length: 6 }, () => h.connect(port)));
    const replies = sockets.map((s) => readAll(s));
    sockets.forEach((s, i) => {
      const body = `body-${i}-`.repeat(50);
      s.end(`POST /u HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    });
    const all = await Promise.all(replies);
    all.forEach((bytes, i) => {
      assert.equal(parseResponses(bytes)[0]!.body.toString(), `body-${i}-`.repeat(50));
    });
  });

  test("a listener on a port in use fails with Node's error shape (code EADDRINUSE, syscall listen)", async () => {
    const port = await h.listen((t) => t.destroy());
    await assert.rejects(
      openListener({ port, host: "127.0.0.1" }, () => {}),
      (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, "EADDRINUSE");
        assert.equal(error.syscall, "listen");
        assert.match(error.message, /EADDRINUSE/);
        return true;
      },
    );
  });

  test("reusePort lets two listeners share a port", async () => {
    const a = await openListener({ port: 0, host: "127.0.0.1", reusePort: true }, (t) => t.destroy());
    h.closers.push(() => a.close());
    const b = await openListener({ port: a.address().port, host: "127.0.0.1", reusePort: true }, (t) => t.destroy());
    h.closers.push(() => b.close());
    assert.equal(b.address().port, a.address().port);
  });

  test("a listener's host name is resolved before binding", async () => {
    const l = await openListener({ port: 0, host: "localhost" }, (t) => t.destroy());
    h.closers.push(() => l.close());
    assert.ok(["127.0.0.1", "::1"].includes(l.address().address));
  });
}
