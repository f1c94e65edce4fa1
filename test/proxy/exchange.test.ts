// ProxyExchange against a real upstream with a scripted client response: backpressure from the client
// pauses the upstream socket, a socket paused that way is reading again when the pool hands it out,
// and bodies arrive intact whatever the read boundaries (reads share and reuse buffers).

import assert from "node:assert/strict";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { test } from "node:test";
import { Sweeper } from "../../src/common/sweeper.ts";
import { DEFAULT_PARSE_LIMITS, parseRequestHead } from "../../src/http/parse-request.ts";
import type { Request } from "../../src/http/request.ts";
import { RequestHead } from "../../src/http/request-head.ts";
import type { Response } from "../../src/http/response.ts";
import { ProxyExchange } from "../../src/proxy/exchange.ts";
import { UpstreamGroup } from "../../src/proxy/group.ts";
import { delay } from "../helpers/wait.ts";

function fakeRequest(path: string): Request {
  const buf = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`, "latin1");
  const head = new RequestHead();
  assert.equal(parseRequestHead(buf, 0, buf.length, DEFAULT_PARSE_LIMITS, head), null);
  return Object.assign(head, { remoteAddress: "127.0.0.1", bodyStarted: false, onAbort() {} }) as unknown as Request;
}

/** A client response whose socket is always "full": every write asks the proxy to wait for drain. */
function slowResponse(): { res: Response; done: Promise<{ status: number; bytes: number }> } {
  let status = 0;
  let bytes = 0;
  let finish!: (v: { status: number; bytes: number }) => void;
  const done = new Promise<{ status: number; bytes: number }>((r) => (finish = r));
  const res = {
    headersSent: false,
    finished: false,
    writeHeadCopied(s: number) {
      status = s;
      this.headersSent = true;
    },
    write(chunk: Buffer) {
      bytes += chunk.length;
      return false;
    },
    onDrain(listener: () => void) {
      setTimeout(listener, 1);
    },
    end() {
      this.finished = true;
      finish({ status, bytes });
    },
    send(s: number, _h: unknown, body?: Buffer | string) {
      status = s;
      this.headersSent = true;
      this.finished = true;
      finish({ status, bytes: body === undefined ? 0 : Buffer.byteLength(body) });
    },
    sendCopied(s: number, _f: unknown, body: Buffer, start = 0, end = body.length) {
      status = s;
      this.headersSent = true;
      this.finished = true;
      finish({ status, bytes: end - start });
    },
    abort() {
      this.finished = true;
      finish({ status: -1, bytes });
    },
  };
  return { res: res as unknown as Response, done };
}

test("a pooled upstream socket paused for a slow client reads again when reused", { timeout: 15_000 }, async () => {
  const body = Buffer.alloc(512 << 10, "p");
  const server = http.createServer((req, res) => {
    const payload = req.url === "/big" ? body : Buffer.from("small");
    res.writeHead(200, { "Content-Length": payload.length });
    // Two writes, so the end of the body arrives after the proxy has paused the socket.
    res.write(payload.subarray(0, payload.length - 1));
    setTimeout(() => res.end(payload.subarray(payload.length - 1)), 20);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const sweeper = new Sweeper(50);
  const group = new UpstreamGroup(
    {
      prefix: "/",
      basePath: null,
      upstreams: [{ host: "127.0.0.1", port, weight: 1 }],
      policy: "least-conn",
      affinity: { kind: "ip" },
      upstream: { passive: { maxFails: 0, cooldownMs: 1000 }, maxIdle: 1, rise: 1, fall: 1 },
      timeouts: { connectMs: 1000, responseMs: 1000, idleMs: 1000, keepAliveMs: 5000 },
      active: null,
    },
    sweeper,
  );
  const settings = { maxAttempts: 1, rewriteHost: false, proto: "http" };
  try {
    const first = slowResponse();
    new ProxyExchange(fakeRequest("/big"), first.res, group, settings).start();
    assert.deepEqual(await first.done, { status: 200, bytes: body.length });
    assert.equal(group.upstreams[0]!.pool.size, 1, "the socket went back to the pool");
    const second = slowResponse();
    new ProxyExchange(fakeRequest("/small"), second.res, group, settings).start();
    assert.deepEqual(await second.done, { status: 200, bytes: 5 });
    assert.equal(group.counts.load(0), 0, "active count back to zero");
  } finally {
    group.close();
    server.closeAllConnections();
    server.close();
  }
});

/** A client response that keeps a copy of everything written, as the socket would send it. */
function collectingResponse(): { res: Response; done: Promise<{ status: number; parts: Buffer[] }> } {
  let status = 0;
  const parts: Buffer[] = [];
  let finish!: (v: { status: number; parts: Buffer[] }) => void;
  const done = new Promise<{ status: number; parts: Buffer[] }>((r) => (finish = r));
  // Chunks are kept as passed (not copied), so a later reuse of their memory would show.
  const res = {
    headersSent: false,
    finished: false,
    writeHeadCopied(s: number) {
      status = s;
      this.headersSent = true;
    },
    write(chunk: Buffer) {
      parts.push(chunk);
      return true;
    },
    onDrain(listener: () => void) {
      setImmediate(listener);
    },
    end() {
      this.finished = true;
      finish({ status, parts });
    },
    sendCopied(s: number, _f: unknown, body: Buffer, start = 0, end = body.length) {
      status = s;
      this.finished = true;
      // The real sendCopied copies body[start, end) into the response head's buffer before it returns
      // (the body lies in a reused read buffer), so the fake copies too.
      finish({ status, parts: [Buffer.from(body.subarray(start, end))] });
    },
    send(s: number) {
      finish({ status: s, parts: [] });
    },
    abort() {
      finish({ status: -1, parts });
    },
  };
  return { res: res as unknown as Response, done };
}

test("bodies arrive intact across split heads, many small reads and large ones, on one pooled socket", {
  timeout: 15_000,
}, async () => {
  const pattern = (n: number, seed: number): Buffer =>
    Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
  const small = pattern(700, 1);
  const large = pattern(300_000, 2);
  const pieces = Array.from({ length: 60 }, (_, i) => pattern(50 + i, i));
  const pause = (): Promise<void> => delay(2);
  // A raw upstream, so the bytes and their split into segments are exactly as scripted.
  const server = net.createServer((socket) => {
    let pending = "";
    socket.on("data", async (d) => {
      pending += d.toString("latin1");
      while (pending.includes("\r\n\r\n")) {
        const path = pending.split(" ")[1]!;
        pending = pending.slice(pending.indexOf("\r\n\r\n") + 4);
        if (path === "/small") {
          // The head arrives in two segments.
          socket.write("HTTP/1.1 200 OK\r\nContent-Ty");
          await pause();
          socket.write(Buffer.concat([Buffer.from(`pe: x\r\nContent-Length: ${small.length}\r\n\r\n`), small]));
        } else if (path === "/pieces") {
          socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
          for (const p of pieces) {
            await pause();
            socket.write(Buffer.concat([Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from("\r\n")]));
          }
          socket.write("0\r\n\r\n");
        } else {
          socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${large.length}\r\n\r\n`);
          socket.write(large);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const sweeper = new Sweeper(50);
  const group = new UpstreamGroup(
    {
      prefix: "/",
      basePath: null,
      upstreams: [{ host: "127.0.0.1", port, weight: 1 }],
      policy: "least-conn",
      affinity: { kind: "ip" },
      upstream: { passive: { maxFails: 0, cooldownMs: 1000 }, maxIdle: 1, rise: 1, fall: 1 },
      timeouts: { connectMs: 1000, responseMs: 2000, idleMs: 2000, keepAliveMs: 5000 },
      active: null,
    },
    sweeper,
  );
  const settings = { maxAttempts: 1, rewriteHost: false, proto: "http" };
  try {
    const cases = [
      ["/small", small],
      ["/pieces", Buffer.concat(pieces)],
      ["/large", large],
      ["/small", small],
      ["/pieces", Buffer.concat(pieces)],
    ] as const;
    const results: Array<{ status: number; parts: Buffer[] }> = [];
    for (const [path] of cases) {
      const client = collectingResponse();
      new ProxyExchange(fakeRequest(path), client.res, group, settings).start();
      results.push(await client.done);
    }
    // Compared only now: bytes passed on earlier must not have been overwritten by later reads.
    cases.forEach(([path, expected], i) => {
      assert.equal(results[i]!.status, 200, path);
      assert.ok(Buffer.concat(results[i]!.parts).equals(expected), `${path} (#${i}): body differs`);
    });
    assert.equal(group.upstreams[0]!.pool.size, 1, "one socket carried every exchange");
  } finally {
    group.close();
    server.close();
  }
});
