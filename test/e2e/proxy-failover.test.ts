// The proxy when upstreams fail: 502/503/504 bodies that name nothing of the inside by default and
// say what failed with --proxy-error-detail, safe retries (idempotent only, never a
// non-idempotent request whose body was sent), passive ejection and readmission, active health
// checks, and an upstream killed under load costing no idempotent request.

import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { test } from "node:test";
import { type Backend, clientGet, startBackend } from "../helpers/backends.ts";
import { exchange, request } from "../helpers/raw.ts";
import { startServer } from "../helpers/server.ts";
import { delay, waitFor } from "../helpers/wait.ts";

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

const close = "Connection: close\r\n";

test("502 and 503 bodies hide upstream addresses and error codes by default; stderr and the status page keep them", async () => {
  const dead = await closedPort();
  const dead2 = await closedPort();
  const proxy = await startServer({
    args: [
      "-t",
      "1",
      "-q",
      "--proxy",
      `http://127.0.0.1:${dead},http://127.0.0.1:${dead2}`,
      "--lb",
      "round-robin",
      "--max-fails",
      "1",
      "--proxy-attempts",
      "1",
      "--status-path",
      "/_status",
    ],
  });
  try {
    const first = await request(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\n${close}\r\n`);
    assert.equal(first.status, 502);
    assert.equal(first.body.toString(), "Bad Gateway\n");
    assert.equal((await request(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\n${close}\r\n`)).status, 502);
    const third = await request(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\n${close}\r\n`);
    assert.equal(third.status, 503);
    assert.equal(third.body.toString(), "Service Unavailable\n");
    // The status page (loopback only) names each upstream and the kind of its last failure.
    const stats = (await request(proxy.port, `GET /_status/stats HTTP/1.1\r\nHost: x\r\n${close}\r\n`)).body.toString();
    assert.ok(stats.includes(`127.0.0.1:${dead}`) && stats.includes(`127.0.0.1:${dead2}`), stats);
    assert.match(stats, /"lastFailure":\{"kind":"connect"/);
    // The operator sees why, on stderr, as in nginx's error log.
    const why = new RegExp(
      `portico: upstream 127\\.0\\.0\\.1:${dead} is out of rotation \\(passive: Could not connect`,
    );
    await waitFor(() => why.test(proxy.stderr()), "the upstream's ejection on stderr");
    assert.match(proxy.stderr(), /portico: upstream error CONNECT_FAILED: Could not connect/);
  } finally {
    await proxy.stop();
  }
});

test("an idempotent request is retried on another upstream when the connect fails", async () => {
  const good = await startBackend("good");
  const dead = await closedPort();
  const proxy = await startServer({
    args: ["-t", "1", "-q", "--proxy", `http://127.0.0.1:${dead},http://127.0.0.1:${good.port}`, "--lb", "round-robin"],
  });
  try {
    for (let i = 0; i < 4; i++) {
      const res = await request(proxy.port, `GET /${i} HTTP/1.1\r\nHost: x\r\n${close}\r\n`);
      assert.equal(res.status, 200);
      assert.equal(res.headers["x-backend"], "good");
    }
    // A POST whose connect failed never reached anyone: it may go elsewhere too.
    const post = await request(proxy.port, `POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n${close}\r\nhi`);
    assert.equal(post.status, 200);
  } finally {
    await proxy.stop();
    await good.close();
  }
});

test("a non-idempotent request is never replayed once its body was sent; an idempotent one is retried", async () => {
  let posts = 0;
  const rude = await startBackend("rude", (req) => {
    if (req.method === "POST") posts++;
    req.resume();
    req.on("end", () => req.socket.destroy());
  });
  const proxy = await startServer({
    args: [
      "-t",
      "1",
      "-q",
      "--proxy",
      `http://127.0.0.1:${rude.port},http://127.0.0.1:${rude.port}`,
      "--max-fails",
      "0",
      "--proxy-error-detail",
    ],
  });
  try {
    const res = await request(proxy.port, `POST /order HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n${close}\r\nhello`);
    assert.equal(res.status, 502);
    assert.match(res.body.toString(), /closed the connection before sending a response/);
    assert.equal(posts, 1, "the POST reached the upstream exactly once");
    rude.hits = 0;
    const getRes = await request(proxy.port, `GET /item HTTP/1.1\r\nHost: x\r\n${close}\r\n`);
    assert.equal(getRes.status, 502);
    assert.equal(rude.hits, 2, "GET was retried once, on the other upstream");
  } finally {
    await proxy.stop();
    await rude.close();
  }
});

test("--proxy-error-detail: timeouts answer 504 with a clear body, and the upstream's silence never crashes the worker", async () => {
  const slow = await startBackend("slow");
  slow.delayMs = 1500;
  const proxy = await startServer({
    args: [
      "-t",
      "1",
      "-q",
      "--proxy",
      `http://127.0.0.1:${slow.port}`,
      "--proxy-response-timeout",
      "300ms",
      "--proxy-error-detail",
    ],
  });
  try {
    const res = await request(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\n${close}\r\n`, { timeoutMs: 3000 });
    assert.equal(res.status, 504);
    assert.match(res.body.toString(), /Gateway Timeout: Upstream 127\.0\.0\.1:\d+ sent no response within 300 ms/);
    slow.delayMs = 0;
    assert.equal((await request(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\n${close}\r\n`)).status, 200);
  } finally {
    await proxy.stop();
    await slow.close();
  }
});

/** The response a proxy in front of an upstream that answers every request with `reply` gives. */
async function throughLiar(reply: string): Promise<Awaited<ReturnType<typeof request>>> {
  const liar = net.createServer((s) => s.once("data", () => s.end(reply)));
  await new Promise<void>((r) => liar.listen(0, "127.0.0.1", r));
  const port = (liar.address() as net.AddressInfo).port;
  const proxy = await startServer({
    args: ["-t", "1", "-q", "--proxy", `http://127.0.0.1:${port}`, "--proxy-error-detail"],
  });
  try {
    return await request(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\n${close}\r\n`);
  } finally {
    await proxy.stop();
    liar.close();
  }
}

test("a chunked body that is broken before its first byte is still answered with a 502", async () => {
  const res = await throughLiar("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz-not-a-size\r\n");
  assert.equal(res.status, 502);
  assert.match(res.body.toString(), /Bad Gateway: Upstream 127\.0\.0\.1:\d+ sent an invalid response/);
});

test("an invalid upstream response is a 502, not a crash", async () => {
  const res = await throughLiar("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\nhi");
  assert.equal(res.status, 502);
  assert.match(
    res.body.toString(),
    /sent an invalid response: Upstream sent both Transfer-Encoding and Content-Length/,
  );
});

test("an upstream killed under load costs no idempotent request, is ejected, then readmitted", async () => {
  const a = await startBackend("a");
  const b = await startBackend("b");
  const proxy = await startServer({
    args: [
      "-t",
      "2",
      "-q",
      "--proxy",
      `http://127.0.0.1:${a.port},http://127.0.0.1:${b.port}`,
      "--fail-timeout",
      "300ms",
      "--max-fails",
      "1",
    ],
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let failures = 0;
  let done = 0;
  let running = true;
  const load = Promise.all(
    Array.from({ length: 8 }, async (_, c) => {
      while (running) {
        const res = await clientGet(proxy.port, `/load/${c}`, {}, agent).catch(() => ({ status: 0 }));
        if (res.status !== 200) failures++;
        done++;
      }
    }),
  );
  try {
    await waitFor(() => done > 200, "traffic before the kill");
    await a.kill();
    const killedAt = done;
    await waitFor(() => done > killedAt + 200, "traffic after the kill");
    a.hits = 0;
    const quietFrom = done;
    await waitFor(() => done > quietFrom + 100, "traffic while the upstream is down");
    assert.equal(a.hits, 0, "the dead upstream got no traffic");
    await a.revive();
    await waitFor(() => a.hits > 10, "readmission after the cool-down");
  } finally {
    running = false;
    await load;
    agent.destroy();
    await proxy.stop();
    await a.close();
    await b.close();
  }
  assert.equal(failures, 0);
});

test("active health checks take a failing upstream out and bring it back", async () => {
  let healthy = true;
  const flaky: Backend = await startBackend("flaky", (req, res, backend) => {
    req.resume();
    if (req.url === "/healthz") {
      res.writeHead(healthy ? 200 : 503).end();
      return;
    }
    res.writeHead(200, { "X-Backend": backend.name }).end("ok");
  });
  const steady = await startBackend("steady");
  const proxy = await startServer({
    args: [
      "-t",
      "1",
      "-q",
      "--proxy",
      `http://127.0.0.1:${flaky.port},http://127.0.0.1:${steady.port}`,
      "--lb",
      "round-robin",
      "--health-path",
      "/healthz",
      "--health-interval",
      "50ms",
      "--health-rise",
      "1",
      "--health-fall",
      "1",
    ],
  });
  const names = async (): Promise<Set<string>> => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++)
      seen.add(String((await request(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\n${close}\r\n`)).headers["x-backend"]));
    return seen;
  };
  try {
    assert.deepEqual([...(await names())].sort(), ["flaky", "steady"]);
    healthy = false;
    let seen = new Set<string>();
    await waitFor(async () => (seen = await names()).size === 1, "the failing upstream to leave rotation");
    assert.deepEqual([...seen], ["steady"]);
    healthy = true;
    await waitFor(async () => (await names()).size === 2, "the recovered upstream to return");
  } finally {
    await proxy.stop();
    await flaky.close();
    await steady.close();
  }
});

test("with several threads one of them probes, and every thread follows its verdicts", async () => {
  let healthy = true;
  let probes = 0;
  const flaky: Backend = await startBackend("flaky", (req, res, backend) => {
    req.resume();
    if (req.url === "/healthz") {
      probes++;
      res.writeHead(healthy ? 200 : 503).end();
      return;
    }
    res.writeHead(200, { "X-Backend": backend.name }).end("ok");
  });
  const steady = await startBackend("steady");
  const proxy = await startServer({
    args: [
      "-t",
      "3",
      "-q",
      "--proxy",
      `http://127.0.0.1:${flaky.port},http://127.0.0.1:${steady.port}`,
      "--lb",
      "round-robin",
      "--health-path",
      "/healthz",
      "--health-interval",
      "100ms",
      "--health-rise",
      "1",
      "--health-fall",
      "1",
    ],
  });
  try {
    const before = probes;
    await delay(1000);
    // One prober makes about ten probes a second here; one per thread would make about thirty.
    assert.ok(probes - before <= 14, `${probes - before} probes in a second`);
    healthy = false;
    await waitFor(async () => {
      // New connections land on any of the three threads: all must have left the upstream out.
      for (let i = 0; i < 12; i++) {
        if ((await request(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\n${close}\r\n`)).headers["x-backend"] === "flaky")
          return false;
      }
      return true;
    }, "every thread to take the failing upstream out");
  } finally {
    await proxy.stop();
    await flaky.close();
    await steady.close();
  }
});

test("an idle upstream connection closed by the keep-alive timeout is never handed out again", {
  // A bound only a hung proxy reaches: under a loaded machine the start alone took over 10 s.
  timeout: 60_000,
}, async () => {
  const backend = await startBackend("b");
  const proxy = await startServer({
    args: ["-t", "1", "-q", "--proxy", `http://127.0.0.1:${backend.port}`, "--upstream-keepalive-timeout", "50ms"],
  });
  try {
    for (let i = 0; i < 3; i++) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
      const results = await Promise.all([0, 1, 2, 3].map((k) => clientGet(proxy.port, `/${i}/${k}`, {}, agent)));
      agent.destroy();
      for (const r of results) assert.equal(r.status, 200);
      await delay(400);
    }
  } finally {
    await proxy.stop();
    await backend.close();
  }
});

test("an upstream that goes silent mid-body is cut after the idle timeout and the client sees the cut", async () => {
  const big = 200_000;
  const stall = await startBackend("stall", (req, res) => {
    req.resume();
    if (req.url === "/ok") return void res.end("fine");
    // A small body is held until whole; a large one streams, so its client sees the cut.
    res.writeHead(200, { "Content-Length": req.url === "/small" ? 100 : big });
    res.write("only part of it");
  });
  const proxy = await startServer({
    args: [
      "-t",
      "1",
      "-q",
      "--proxy",
      `http://127.0.0.1:${stall.port}`,
      "--proxy-idle-timeout",
      "300ms",
      "--proxy-error-detail",
    ],
  });
  try {
    const { bytes, closed } = await exchange(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\n\r\n`, { timeoutMs: 5000 });
    assert.equal(closed, true, "the client connection is closed, not left hanging");
    const text = bytes.toString("latin1");
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, new RegExp(`Content-Length: ${big}\r\n`));
    assert.ok(text.endsWith("only part of it"), "the body stops where the upstream stopped");
    // Nothing of a held small response reached the client: it gets a clear 504 instead.
    const small = await request(proxy.port, `GET /small HTTP/1.1\r\nHost: x\r\n${close}\r\n`, { timeoutMs: 5000 });
    assert.equal(small.status, 504);
    assert.match(small.body.toString(), /went silent for 300 ms mid-response/);
    const after = await request(proxy.port, `GET /ok HTTP/1.1\r\nHost: x\r\n${close}\r\n`);
    assert.equal(after.body.toString(), "fine", "the worker is still serving");
  } finally {
    await proxy.stop();
    await stall.close();
  }
});

test("a client that stops reading is not the upstream's fault: no idle cut, no ejection", {
  timeout: 15_000,
}, async () => {
  const big = 16 * 1024 * 1024;
  const upstream = await startBackend("big", (req, res) => {
    req.resume();
    if (req.url === "/ok") return void res.end("fine");
    res.writeHead(200, { "Content-Length": big });
    res.end(Buffer.alloc(big, 0x61));
  });
  // One failure would eject the only upstream; the idle timeout is far shorter than the client's pause.
  const proxy = await startServer({
    args: [
      "-t",
      "1",
      "-q",
      "--proxy",
      `http://127.0.0.1:${upstream.port}`,
      "--proxy-idle-timeout",
      "1s",
      "--max-fails",
      "1",
    ],
  });
  try {
    const socket = net.connect(proxy.port, "127.0.0.1");
    await new Promise<void>((r) => socket.once("connect", r));
    socket.pause();
    socket.write(`GET /big HTTP/1.1\r\nHost: x\r\n${close}\r\n`);
    // Long enough for the socket buffers to fill and the proxy to pause the upstream several times over,
    // and well past the idle timeout. The timeout is not shorter: once the client reads again, a loaded
    // machine may stall the upstream (this test's own process) for a few hundred milliseconds.
    await delay(2500);
    let received = 0;
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.on("data", (d: Buffer) => (received += d.length));
    socket.resume();
    await closed;
    assert.ok(received > big, `the whole body came through (${received} bytes with the head)`);
    const after = await request(proxy.port, `GET /ok HTTP/1.1\r\nHost: x\r\n${close}\r\n`);
    assert.equal(after.status, 200, "the upstream is still in rotation");
    assert.equal(after.body.toString(), "fine");
  } finally {
    await proxy.stop();
    await upstream.close();
  }
});

test("a client pausing mid-upload gets its response: the response timeout starts once the request is sent", {
  timeout: 15_000,
}, async () => {
  const upstream = await startBackend("echo", (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => res.end(Buffer.concat(chunks)));
  });
  const proxy = await startServer({
    args: [
      "-t",
      "1",
      "-q",
      "--proxy",
      `http://127.0.0.1:${upstream.port}`,
      "--proxy-response-timeout",
      "200ms",
      "--max-fails",
      "1",
    ],
  });
  try {
    const socket = net.connect(proxy.port, "127.0.0.1");
    await new Promise<void>((r) => socket.once("connect", r));
    const chunks: Buffer[] = [];
    socket.on("data", (d: Buffer) => chunks.push(d));
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.write(`POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n${close}\r\nabc`);
    await delay(700);
    socket.write("defghij");
    await closed;
    const text = Buffer.concat(chunks).toString("latin1");
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(text.endsWith("abcdefghij"), "the upstream got the whole body and answered");
    assert.equal(
      (await request(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\n${close}\r\n`)).status,
      200,
      "the upstream is still in rotation",
    );
  } finally {
    await proxy.stop();
    await upstream.close();
  }
});

test("a lone upstream is never taken out by passive health: it serves again as soon as it is back", async () => {
  const upstream = await startBackend("lone");
  const proxy = await startServer({
    args: [
      "-t",
      "1",
      "-q",
      "--proxy",
      `http://127.0.0.1:${upstream.port}`,
      "--max-fails",
      "1",
      "--fail-timeout",
      "1h",
      "--proxy-attempts",
      "1",
    ],
  });
  try {
    await upstream.kill();
    for (let i = 0; i < 3; i++)
      assert.equal((await request(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\n${close}\r\n`)).status, 502);
    await upstream.revive();
    assert.equal((await request(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\n${close}\r\n`)).status, 200);
  } finally {
    await proxy.stop();
    await upstream.close();
  }
});

test("a 504 body is the reason phrase alone without --proxy-error-detail", async () => {
  const slow = await startBackend("slow");
  slow.delayMs = 1500;
  const proxy = await startServer({
    args: ["-t", "1", "-q", "--proxy", `http://127.0.0.1:${slow.port}`, "--proxy-response-timeout", "300ms"],
  });
  try {
    const res = await request(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\n${close}\r\n`, { timeoutMs: 3000 });
    assert.equal(res.status, 504);
    assert.equal(res.body.toString(), "Gateway Timeout\n");
  } finally {
    await proxy.stop();
    await slow.close();
  }
});
