// One upstream socket against a scripted raw upstream (a TCP server that answers each request with
// exact bytes, split and timed as a test says): framing by length, chunks (trailers kept) and close,
// interim responses skipped, heads split across reads, the keep-alive pool, a 101 handed over, the
// request body framed as chunks, and every failure as one ProxyError with its status and code.

import assert from "node:assert/strict";
import net from "node:net";
import { after, test } from "node:test";
import { Buffer } from "node:buffer";
import { Sweeper } from "../../src/common/sweeper.ts";
import { BODY_CHUNKED, BODY_LENGTH, BODY_NONE, type ResponseHead } from "../../src/http/parse-response.ts";
import {
  FAIL_CONNECT,
  FAIL_NO_RESPONSE,
  FAIL_PARTIAL,
  FAIL_STREAMING,
  type FailureKind,
  type ProxyError,
} from "../../src/proxy/errors.ts";
import { Upstream } from "../../src/proxy/upstream.ts";
import { UpstreamConnection } from "../../src/proxy/upstream-connection.ts";
import type { UpstreamListener, UpstreamTimeouts } from "../../src/proxy/upstream-listener.ts";
import { delay, waitFor } from "../helpers/wait.ts";

const closers: Array<() => unknown> = [];
after(async () => {
  for (const c of closers) await c();
});

const TIMEOUTS: UpstreamTimeouts = { connectMs: 5000, responseMs: 5000, idleMs: 5000, keepAliveMs: 5000 };
const sweeper = new Sweeper(20);

/** What one request to the scripted upstream looked like, and the socket to answer on. */
interface Arrival {
  readonly socket: net.Socket;
  /** The bytes of the request so far (its head at least). */
  readonly bytes: () => Buffer;
  /** Which connection it came on (1 for the first the server accepted). */
  readonly connection: number;
}

/** A TCP server calling `answer` for each request head it reads; resolves with its port. */
async function scriptedUpstream(answer: (arrival: Arrival) => void | Promise<void>): Promise<number> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const connection = ++connections;
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    let all = Buffer.alloc(0);
    socket.on("error", () => {});
    socket.on("data", (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      all = Buffer.concat([all, d]);
      let end = pending.indexOf("\r\n\r\n");
      while (end !== -1) {
        pending = pending.subarray(end + 4);
        void answer({ socket, bytes: () => all, connection });
        end = pending.indexOf("\r\n\r\n");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

/** A connection to the scripted upstream, destroyed after the file's tests whatever they did. */
function connectTo(port: number, timeouts = TIMEOUTS, upstream = upstreamAt(port)): UpstreamConnection {
  const conn = new UpstreamConnection(upstream, sweeper, timeouts);
  closers.push(() => conn.destroy());
  return conn;
}

/** Everything an exchange hears, in order, as short strings. */
class Recorder implements UpstreamListener {
  readonly events: string[] = [];
  body = "";
  head: { status: number; kind: number; whole: string } | null = null;
  error: ProxyError | null = null;
  kind: FailureKind | null = null;
  done = false;

  onUpstreamConnected(): void {
    this.events.push("connected");
  }
  onResponseHead(head: ResponseHead, bodyKind: number, wholeBodyEnd: number): void {
    const whole = wholeBodyEnd === -1 ? "" : head.raw.toString("latin1", head.headEnd, wholeBodyEnd);
    this.head = { status: head.status, kind: bodyKind, whole };
    this.events.push(`head ${head.status}`);
  }
  onResponseData(chunk: Buffer): void {
    this.body += chunk.toString("latin1");
  }
  onResponseEnd(trailers: readonly string[]): void {
    this.events.push(`end${trailers.length > 0 ? ` ${trailers.join("|")}` : ""}`);
    this.done = true;
  }
  onUpstreamDrain(): void {}
  onUpstreamError(error: ProxyError, kind: FailureKind): void {
    this.error = error;
    this.kind = kind;
    this.events.push(`error ${error.status} ${error.code}`);
    this.done = true;
  }
}

function upstreamAt(port: number, maxIdle = 4): Upstream<UpstreamConnection> {
  return new Upstream<UpstreamConnection>(
    0,
    { host: "127.0.0.1", port, weight: 1 },
    { passive: { maxFails: 0, cooldownMs: 1000 }, maxIdle, rise: 1, fall: 1 },
  );
}

const GET = Buffer.from("GET /x HTTP/1.1\r\nHost: up\r\n\r\n", "latin1");

/** Opens a connection and runs one request on it; resolves once the exchange ended or failed. */
async function exchange(conn: UpstreamConnection, head: Buffer = GET, method = "GET"): Promise<Recorder> {
  const recorder = new Recorder();
  conn.begin(recorder, method, head, false, false);
  await waitFor(() => recorder.done, "the exchange to end");
  return recorder;
}

test("a small response arrives whole with its head, and the connection goes back to the pool for the next", async () => {
  const port = await scriptedUpstream(({ socket }) => {
    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  });
  const upstream = upstreamAt(port);
  const conn = connectTo(port, TIMEOUTS, upstream);
  const first = await exchange(conn);
  assert.deepEqual(first.events, ["connected", "head 200", "end"]);
  assert.deepEqual(first.head, { status: 200, kind: BODY_LENGTH, whole: "hello" });
  assert.equal(first.body, "", "a whole body comes with the head, not as data");
  conn.release(true);
  assert.equal(upstream.pool.size, 1);
  assert.ok(conn.usable);
  const again = upstream.pool.take()!;
  assert.equal(again, conn);
  again.reuse();
  const second = await exchange(again);
  assert.deepEqual(second.events, ["connected", "head 200", "end"]);
  again.destroy();
});

test("a head split across many reads is parsed once; the body follows as data", async () => {
  const response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world";
  const port = await scriptedUpstream(async ({ socket }) => {
    for (let i = 0; i < response.length; i += 7) {
      socket.write(response.slice(i, i + 7));
      await delay(2);
    }
  });
  const conn = connectTo(port);
  const r = await exchange(conn);
  assert.deepEqual(r.events, ["connected", "head 200", "end"]);
  assert.equal(r.head!.kind, BODY_LENGTH);
  assert.equal(r.head!.whole + r.body, "hello world");
  conn.destroy();
});

test("a chunked body is decoded and its trailers passed on; interim responses are skipped", async () => {
  const port = await scriptedUpstream(({ socket }) => {
    socket.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n");
    socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    socket.write("6\r\n world\r\n0\r\nX-Checksum: abc\r\nContent-Length: 99\r\n\r\n");
  });
  const conn = connectTo(port);
  const r = await exchange(conn);
  assert.equal(r.head!.kind, BODY_CHUNKED);
  assert.equal(r.body, "hello world");
  // As received: which trailers may reach the client is the response's business (Response.end).
  assert.deepEqual(r.events, ["connected", "head 200", "end X-Checksum: abc|Content-Length: 99"]);
  conn.release(true);
  assert.ok(conn.usable, "a complete chunked response leaves the connection reusable");
  conn.destroy();
});

test("a body framed by the close ends at the upstream's FIN, and that connection is not pooled", async () => {
  const port = await scriptedUpstream(({ socket }) => {
    socket.end("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
  });
  const upstream = upstreamAt(port);
  const conn = connectTo(port, TIMEOUTS, upstream);
  const r = await exchange(conn);
  assert.deepEqual(r.events, ["connected", "head 200", "end"]);
  assert.equal(r.body, "until the end");
  conn.release(true);
  assert.equal(upstream.pool.size, 0);
});

test("the answer to HEAD has no body whatever its Content-Length says", async () => {
  const port = await scriptedUpstream(({ socket }) => {
    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
  });
  const conn = connectTo(port);
  const r = await exchange(conn, Buffer.from("HEAD /x HTTP/1.1\r\nHost: up\r\n\r\n"), "HEAD");
  assert.equal(r.head!.kind, BODY_NONE);
  assert.deepEqual(r.events, ["connected", "head 200", "end"]);
  conn.release(true);
  assert.ok(conn.usable);
  conn.destroy();
});

test("a chunked request body is framed as chunks, with the client's forwardable trailers", async () => {
  let seen: (() => Buffer) | null = null;
  const port = await scriptedUpstream(({ bytes }) => {
    seen ??= bytes;
  });
  const conn = connectTo(port);
  const r = new Recorder();
  const head = "POST /u HTTP/1.1\r\nHost: up\r\nTransfer-Encoding: chunked\r\n\r\n";
  conn.begin(r, "POST", Buffer.from(head), true, true);
  await waitFor(() => r.events.includes("connected"), "the connection");
  conn.writeBody(Buffer.from("abc"));
  conn.writeBody(Buffer.alloc(0));
  conn.writeBody(Buffer.from("defgh"));
  conn.endBody(["X-Sum: 1", "Transfer-Encoding: chunked"]);
  // The empty write sends nothing (a zero-size chunk would end the body); Transfer-Encoding may
  // never be a trailer (RFC 9110 §6.5.1).
  const expected = `${head}3\r\nabc\r\n5\r\ndefgh\r\n0\r\nX-Sum: 1\r\n\r\n`;
  const upload = (): string => (seen === null ? "" : (seen as () => Buffer)().toString("latin1"));
  await waitFor(() => upload().length >= expected.length, "the whole request at the upstream");
  assert.equal(upload(), expected);
});

test("a 101 hands the socket over with the bytes already read past the head", async () => {
  const port = await scriptedUpstream(({ socket }) => {
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nfirst frame");
    socket.on("data", (d: Buffer) => {
      if (d.toString() === "ping") socket.write("pong");
    });
  });
  const conn = connectTo(port);
  const r = new Recorder();
  conn.begin(
    r,
    "GET",
    Buffer.from("GET /ws HTTP/1.1\r\nHost: up\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"),
    false,
    false,
  );
  await waitFor(() => r.head !== null, "the 101");
  assert.equal(r.head!.status, 101);
  const { socket, buffered } = conn.detach();
  closers.push(() => socket.destroy());
  // The frame may have come in the same read as the head, or after it on the handed-over socket.
  let got = buffered.toString();
  socket.on("data", (d: Buffer) => void (got += d.toString()));
  socket.resume();
  await waitFor(() => got.startsWith("first frame"), "the bytes after the head");
  socket.write("ping");
  await waitFor(() => got.endsWith("pong"), "the tunnel's answer");
});

test("bytes on an idle pooled connection close it and take it out of the pool", async () => {
  let answered: net.Socket | null = null;
  const port = await scriptedUpstream(({ socket }) => {
    answered = socket;
    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  const upstream = upstreamAt(port);
  const conn = connectTo(port, TIMEOUTS, upstream);
  await exchange(conn);
  conn.release(true);
  assert.equal(upstream.pool.size, 1);
  (answered as net.Socket | null)!.write("HTTP/1.1 200 OK\r\n\r\n");
  await waitFor(() => upstream.pool.size === 0, "the pool to drop the connection");
  assert.ok(!conn.usable);
});

test("failures are one ProxyError each, with how far the exchange got: refused, reset, invalid, silent", async () => {
  const refusedPort = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const refused = await exchange(connectTo(refusedPort));
  assert.deepEqual(refused.events, ["error 502 CONNECT_FAILED"]);
  assert.match(refused.error!.message, /ECONNREFUSED/);
  assert.equal(refused.kind, FAIL_CONNECT);

  const resetPort = await scriptedUpstream(({ socket }) => void socket.destroy());
  const reset = await exchange(connectTo(resetPort));
  assert.deepEqual(reset.events, ["connected", "error 502 UPSTREAM_RESET"]);
  assert.equal(reset.kind, FAIL_NO_RESPONSE);

  const badPort = await scriptedUpstream(({ socket }) => void socket.write("HTTP/1.1 2000 Nope\r\n\r\n"));
  const bad = await exchange(connectTo(badPort));
  assert.deepEqual(bad.events, ["connected", "error 502 BAD_RESPONSE"]);
  assert.equal(bad.kind, FAIL_PARTIAL, "response bytes came, nothing was passed on: another upstream may answer");

  const quick = { ...TIMEOUTS, responseMs: 100, idleMs: 100 };
  const silentPort = await scriptedUpstream(() => {});
  const silent = await exchange(connectTo(silentPort, quick));
  assert.deepEqual(silent.events, ["connected", "error 504 RESPONSE_TIMEOUT"]);
  assert.equal(silent.kind, FAIL_NO_RESPONSE);

  // A small body cut short is held with its head, so nothing was passed on either.
  const stallPort = await scriptedUpstream(({ socket }) => {
    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhal");
  });
  const stall = await exchange(connectTo(stallPort, quick));
  assert.deepEqual(stall.events, ["connected", "error 504 IDLE_TIMEOUT"]);
  assert.equal(stall.body, "");
  assert.equal(stall.kind, FAIL_PARTIAL);

  // A body too large to hold streams: once its head is passed on, a stall is a failure mid-stream.
  const largeStallPort = await scriptedUpstream(({ socket }) => {
    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nhal");
  });
  const largeStall = await exchange(connectTo(largeStallPort, quick));
  assert.deepEqual(largeStall.events, ["connected", "head 200", "error 504 IDLE_TIMEOUT"]);
  assert.equal(largeStall.head!.whole + largeStall.body, "hal");
  assert.equal(largeStall.kind, FAIL_STREAMING);
});
