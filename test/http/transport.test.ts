// The libuv-handle transport: reading into the shared buffer, writes with backpressure (corked or
// not), half-close, hand-over to a net.Socket, and the Connection's rule that nothing keeps a view of
// the shared read buffer past the read.

import assert from "node:assert/strict";
import net from "node:net";
import { after, test } from "node:test";
import type { EngineOptions } from "../../src/http/engine-options.ts";
import type { Request } from "../../src/http/request.ts";
import type { Response } from "../../src/http/response.ts";
import { HttpServer } from "../../src/http/server.ts";
import { Listener } from "../../src/http/listener.ts";
import { claimOutput, isOutputView, releaseOutput } from "../../src/http/arena.ts";
import { holdWrites, Transport, type TransportOwner } from "../../src/http/transport.ts";
import { TEST_ENGINE_OPTIONS } from "../helpers/engine-options.ts";
import { parseResponses } from "../helpers/raw.ts";

const OPTIONS: EngineOptions = TEST_ENGINE_OPTIONS;

const closers: Array<() => unknown> = [];
after(async () => {
  for (const c of closers) await c();
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A listener whose connections are handed to `onAccept`. */
async function listen(onAccept: (t: Transport) => void): Promise<number> {
  const l = await Listener.open({ port: 0, host: "127.0.0.1" }, onAccept);
  closers.push(() => l.close());
  return l.address().port;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => resolve(s));
    s.on("error", reject);
    closers.push(() => s.destroy());
  });
}

function readAll(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.on("close", () => resolve(Buffer.concat(chunks)));
  });
}

function owner(overrides: Partial<TransportOwner>): TransportOwner {
  return { received() {}, peerEnded() {}, drained() {}, closed() {}, ...overrides };
}

test("bytes are read, the peer's FIN is heard, and end() half-closes after queued bytes", async () => {
  let received = "";
  const port = await listen((t) => {
    t.start(
      owner({
        received: (chunk) => {
          received += chunk.toString("latin1");
        },
        peerEnded: () => {
          t.write(`got ${received}`);
          t.end();
        },
        closed: () => {},
      }),
    );
  });
  const s = await connect(port);
  const reply = readAll(s);
  s.end("hello");
  assert.equal((await reply).toString(), "got hello");
  assert.equal(received, "hello");
});

test("peer address and ports are the socket's", async () => {
  const seen = new Promise<{ address: string; port: number; local: number }>((resolve) => {
    void listen((t) => {
      t.start(owner({}));
      resolve({ address: t.remoteAddress, port: t.remotePort, local: t.localPort });
      t.destroy();
    }).then((port) => connect(port).then((s) => closers.push(() => s.destroy())));
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
  const port = await listen((t) => {
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
  const s = await connect(port);
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
    void listen((t) => {
      let ok = true;
      t.start(owner({ drained: () => resolve({ ok, drained: true }) }));
      t.cork();
      ok = t.write(Buffer.alloc(80 * 1024, 1));
      t.uncork();
      if (ok) resolve({ ok, drained: false });
    }).then((port) => connect(port).then((s) => s.resume()));
  });
  assert.deepEqual(await result, { ok: false, drained: true });
});

test("toSocket hands a live connection to a net.Socket that reads and writes", async () => {
  const port = await listen((t) => {
    t.start(owner({}));
    const socket = t.toSocket();
    socket.on("data", (d: Buffer) => socket.write(Buffer.from(d.toString().toUpperCase())));
    socket.on("end", () => socket.end());
  });
  const s = await connect(port);
  const reply = readAll(s);
  s.write("ping ");
  await delay(20);
  s.end("pong");
  assert.equal((await reply).toString(), "PING PONG");
});

test("a request answered later reads its own head, though other connections' reads reuse the buffer", async () => {
  const server = new HttpServer(
    {
      handle: async (req: Request, res: Response) => {
        // By now other reads have landed in the shared read buffer.
        await delay(30);
        res.send(200, ["X-Echo", req.header("x-token") ?? "none", "X-Path", req.path], `${req.method} ${req.target}`);
        return true;
      },
    },
    OPTIONS,
  );
  closers.push(() => server.close(100));
  const { port } = await server.listen({ port: 0, host: "127.0.0.1" });
  const sockets = await Promise.all(Array.from({ length: 8 }, () => connect(port)));
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

test("a body handed to a sink stays intact after later reads reuse the buffer", async () => {
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
    OPTIONS,
  );
  closers.push(() => server.close(100));
  const { port } = await server.listen({ port: 0, host: "127.0.0.1" });
  const sockets = await Promise.all(Array.from({ length: 6 }, () => connect(port)));
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

test("connect tries each address of a name until one answers (::1 refused, then 127.0.0.1)", async () => {
  const dnsp = (await import("node:dns/promises")).default as unknown as {
    lookup: (...args: unknown[]) => Promise<unknown>;
  };
  const realLookup = dnsp.lookup;
  dnsp.lookup = async (host: unknown, options?: unknown) => {
    if (host !== "dual.test") return realLookup(host, options);
    return [
      { address: "::1", family: 6 },
      { address: "127.0.0.1", family: 4 },
    ];
  };
  try {
    const server = net.createServer((s) => s.end("hi"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => server.close());
    const { port } = server.address() as net.AddressInfo;
    const outcome = await new Promise<string>((resolve) => {
      let got = "";
      const t = Transport.connect("dual.test", port, {
        received: (chunk) => {
          got += chunk.toString();
        },
        peerEnded: () => t.destroy(),
        drained() {},
        closed: () => resolve(`${got}|${t.error}`),
      });
    });
    assert.equal(outcome, "hi|");
  } finally {
    dnsp.lookup = realLookup;
  }
});

test("a refused connection reports ECONNREFUSED; writes cancelled by a close are not the reported cause", async () => {
  const refused = await new Promise<string>((resolve) => {
    const probe = net.createServer();
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => {
        const t = Transport.connect("127.0.0.1", port, owner({ closed: () => resolve(t.error) }));
      });
    });
  });
  assert.equal(refused, "ECONNREFUSED");

  // The peer ends while a large write is still queued: closing cancels the write (ECANCELED inside
  // libuv), and the transport still reports no error of its own.
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.pause();
    setTimeout(() => s.end(), 50);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => server.close());
  const { port } = server.address() as net.AddressInfo;
  const reported = await new Promise<string>((resolve) => {
    const t = Transport.connect("127.0.0.1", port, {
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

test("writes held for the turn go out after the hold's callbacks, in order, and a held end() follows them", async () => {
  const events: string[] = [];
  const port = await listen((t) => {
    t.start(owner({}));
    holdWrites(() => events.push("before"));
    t.write("one ");
    t.cork();
    t.write("two ");
    t.uncork();
    events.push(t.flushed ? "flushed" : "held");
    t.end();
  });
  const s = await connect(port);
  const reply = await readAll(s);
  assert.equal(reply.toString(), "one two ");
  assert.deepEqual(events, ["held", "before"]);
});

test("an output-area write left pending pins the area until it completes, and its bytes arrive intact", async () => {
  let transport: Transport | null = null;
  const port = await listen((t) => {
    transport = t;
    t.start(owner({}));
  });
  const s = await connect(port);
  s.pause();
  while (transport === null) await delay(5);
  const t = transport as Transport;
  // Fill the kernel's buffers with ordinary writes, then write one message from the output area.
  const filler = Buffer.alloc(256 * 1024, 0x2e);
  let fillerBytes = 0;
  while (t.write(filler)) fillerBytes += filler.length;
  fillerBytes += filler.length;
  await delay(50);
  const out = t.outputBuffer(1000);
  assert.ok(isOutputView(out), "the output area while nothing is queued or held");
  out.fill(0x41);
  t.write(out);
  assert.equal(claimOutput(10), null, "pinned while libuv holds it");
  const other = t.outputBuffer(10);
  assert.ok(!isOutputView(other), "others get a buffer of their own meanwhile");
  s.resume();
  const bytes = await new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    s.on("data", (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      if (size === fillerBytes + 1000) resolve(Buffer.concat(chunks));
    });
  });
  assert.equal(bytes.subarray(fillerBytes).toString("latin1"), "A".repeat(1000));
  await delay(20);
  const again = claimOutput(10);
  assert.ok(again !== null, "free again once the write completed");
  releaseOutput();
});

test("an output-area write still pending when the connection is destroyed unpins the area", async () => {
  let transport: Transport | null = null;
  let closed = false;
  const port = await listen((t) => {
    transport = t;
    t.start(owner({ closed: () => void (closed = true) }));
  });
  const s = await connect(port);
  s.pause();
  while (transport === null) await delay(5);
  const t = transport as Transport;
  const filler = Buffer.alloc(256 * 1024, 0x2e);
  while (t.write(filler));
  await delay(50);
  const out = t.outputBuffer(500);
  assert.ok(isOutputView(out));
  t.write(out);
  assert.equal(claimOutput(10), null);
  t.destroy();
  while (!closed) await delay(5);
  const again = claimOutput(10);
  assert.ok(again !== null, "the cancelled write gave the area back");
  releaseOutput();
});

test("an output-area buffer written while corked is queued as a copy: the area is free at once", async () => {
  let transport: Transport | null = null;
  const port = await listen((t) => {
    transport = t;
    t.start(owner({}));
  });
  const s = await connect(port);
  while (transport === null) await delay(5);
  const t = transport as Transport;
  const out = claimOutput(5)!;
  out.write("hello", "latin1");
  t.cork();
  t.write(out);
  const next = claimOutput(5)!;
  assert.ok(next !== null, "the queued write took a copy");
  next.write("XXXXX", "latin1");
  releaseOutput();
  t.uncork();
  t.end();
  assert.equal((await readAll(s)).toString("latin1"), "hello");
});
