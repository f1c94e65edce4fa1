// The status figures against a known workload: true request durations (an upstream that waits 50 ms
// makes every proxied request last at least that, in the histogram and in the log), counters exact the
// moment responses are complete across threads, the status path's own requests kept apart, and the
// loopback-only default of the status path with --status-allow to open it.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { startBackend } from "../helpers/backends.ts";
import { get } from "../helpers/raw.ts";
import { makeSite, startServer } from "../helpers/server.ts";
import { parseExposition } from "../helpers/exposition.ts";

const UPSTREAM_DELAY_MS = 50;

interface Snapshot {
  requests: number;
  statusPathRequests: number;
  status: Record<string, number>;
  statusClasses: Record<string, number>;
  protocols: Record<string, number>;
  latency: {
    count: number;
    sumSeconds: number;
    p50Ms: number;
    p99Ms: number;
    buckets: Array<{ leMs: number | null; count: number }>;
  };
  perThread: Array<{ requests: number; heapUsedBytes: number }>;
}

async function snapshot(port: number, prefix = "/_portico"): Promise<Snapshot> {
  const res = await get(port, `${prefix}/stats`);
  assert.equal(res.status, 200);
  return JSON.parse(res.body.toString()) as Snapshot;
}

test("a proxied request to an upstream that waits 50 ms is timed at 50 ms or more, in histogram and log", async () => {
  const backend = await startBackend("slow");
  backend.delayMs = UPSTREAM_DELAY_MS;
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "portico-figures-")), "access.log");
  const server = await startServer({
    args: [
      "-t",
      "2",
      "--proxy",
      `http://127.0.0.1:${backend.port}`,
      "--status-path",
      "/_portico",
      "--log-format",
      "json",
      "--access-log",
      log,
    ],
  });
  try {
    const n = 10;
    for (let i = 0; i < n; i++) assert.equal((await get(server.port, `/slow/${i}`)).status, 200);
    const s = await snapshot(server.port);
    assert.equal(s.requests, n);
    assert.equal(s.latency.count, n);
    // Every request lies in a bucket whose upper bound is past the upstream's delay…
    const below = s.latency.buckets.filter((b) => b.leMs !== null && b.leMs < UPSTREAM_DELAY_MS);
    assert.equal(
      below.reduce((sum, b) => sum + b.count, 0),
      0,
      "no request shorter than the upstream's delay",
    );
    assert.ok(s.latency.sumSeconds >= (n * UPSTREAM_DELAY_MS) / 1000, `sum ${s.latency.sumSeconds} s`);
    assert.ok(s.latency.p50Ms >= UPSTREAM_DELAY_MS / 2, `p50 ${s.latency.p50Ms} ms is in the 50 ms bucket`);

    const metrics = parseExposition((await get(server.port, "/_portico/metrics")).body.toString());
    assert.equal(metrics.value("portico_request_duration_seconds_count"), n);
    assert.ok(metrics.value("portico_request_duration_seconds_sum") >= (n * UPSTREAM_DELAY_MS) / 1000);
    assert.equal(metrics.value("portico_request_duration_seconds_bucket", { le: "0.032768" }), 0);
    assert.equal(metrics.value("portico_request_duration_seconds_bucket", { le: "+Inf" }), n);

    // …and every log line says so, in microseconds.
    const lines = fs
      .readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { target: string; durationUs: number; durationMs: number });
    const slow = lines.filter((l) => l.target.startsWith("/slow/"));
    assert.equal(slow.length, n);
    for (const line of slow) {
      assert.ok(Number.isInteger(line.durationUs), "whole microseconds");
      assert.ok(line.durationUs >= UPSTREAM_DELAY_MS * 1000, `${line.durationUs} µs`);
      assert.ok(Math.abs(line.durationMs * 1000 - line.durationUs) <= 1);
    }
  } finally {
    await server.stop();
    await backend.close();
  }
});

test("right after 30 proxied requests on two threads /stats says 30; its own polling is counted apart", async () => {
  const backend = await startBackend("fast");
  const server = await startServer({
    args: ["-t", "2", "-q", "--proxy", `http://127.0.0.1:${backend.port}`, "--status-path", "/_portico"],
  });
  try {
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < 10; i++) assert.equal((await get(server.port, `/r${round}/${i}`)).status, 200);
      // No wait: the figures are stored before the response's last byte leaves.
      const s = await snapshot(server.port);
      assert.equal(s.requests, round * 10);
      assert.equal(s.status["200"], round * 10);
      assert.equal(s.statusClasses["2xx"], round * 10);
      assert.equal(s.protocols["HTTP/1.1"], round * 10);
      assert.equal(
        s.perThread.reduce((sum, t) => sum + t.requests, 0),
        round * 10,
      );
      // The snapshot's own request is finished only after it was taken.
      assert.equal(s.statusPathRequests, round - 1);
    }
    const s = await snapshot(server.port);
    assert.equal(s.requests, 30, "the status path's requests are not traffic");
    assert.equal(s.statusPathRequests, 3);
    assert.ok(s.perThread.every((t) => t.heapUsedBytes > 0));
  } finally {
    await server.stop();
    await backend.close();
  }
});

test("per-upstream figures: tries, retries, failures by kind, answers by class, exact after the responses", async () => {
  const live = await startBackend("live");
  const dead = await startBackend("dead");
  await dead.kill();
  const server = await startServer({
    args: [
      "-t",
      "2",
      "-q",
      "--lb",
      "round-robin",
      "--proxy",
      `http://127.0.0.1:${dead.port},http://127.0.0.1:${live.port}?weight=3`,
      "--status-path",
      "/_portico",
    ],
  });
  try {
    const n = 8;
    for (let i = 0; i < n; i++) assert.equal((await get(server.port, `/u${i}`)).status, 200);
    const s = (await snapshot(server.port)) as Snapshot & { upstreams: UpstreamFigures[] };
    const [down, up] = s.upstreams;
    assert.equal(down?.upstream, `127.0.0.1:${dead.port}`);
    assert.equal(up?.upstream, `127.0.0.1:${live.port}`);
    assert.equal(up.weight, 3);
    assert.equal(up.status["2xx"], n);
    assert.equal(up.tries, n);
    assert.equal(up.responseTime.count, n);
    assert.ok(down.failures.connect >= 1, "the dead upstream was tried");
    assert.equal(down.tries, down.failures.connect);
    // Every failed try on the dead upstream was retried on the live one.
    assert.equal(up.retries + down.retries, down.failures.connect);
    assert.equal(up.active + down.active, 0);
    assert.equal(down.lastFailure?.kind, "connect");

    const m = parseExposition((await get(server.port, "/_portico/metrics")).body.toString());
    const label = { upstream: `127.0.0.1:${live.port}` };
    assert.equal(m.value("portico_upstream_requests_total", label), n);
    assert.equal(m.value("portico_upstream_responses_total", { ...label, class: "2xx" }), n);
    assert.equal(m.value("portico_upstream_response_duration_seconds_count", label), n);
    assert.equal(
      m.value("portico_upstream_failures_total", { upstream: `127.0.0.1:${dead.port}`, kind: "connect" }),
      down.failures.connect,
    );
  } finally {
    await server.stop();
    await live.close();
  }
});

interface UpstreamFigures {
  upstream: string;
  weight: number;
  tries: number;
  active: number;
  retries: number;
  failures: { connect: number; timeout: number; reset: number; protocol: number };
  status: Record<string, number>;
  responseTime: { count: number };
  lastFailure: { kind: string } | null;
}

test("the status path answers loopback only by default; --status-allow opens it to a network", async () => {
  const addresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === "IPv4" && !a.internal)
    .map((a) => a!.address);
  const site = makeSite({ "a.txt": "a" });
  const closed = await startServer({ args: ["-t", "1", "-q", "--root", site, "--status-path", "/_portico"] });
  try {
    assert.equal((await get(closed.port, "/_portico/stats")).status, 200, "loopback is allowed");
    for (const address of addresses) {
      const res = await getFrom(address, closed.port, "/_portico/metrics");
      assert.equal(res.status, 403, `from ${address}`);
      assert.equal((await getFrom(address, closed.port, "/_portico")).status, 403);
      assert.equal((await getFrom(address, closed.port, "/a.txt")).status, 200, "the site itself is open");
    }
  } finally {
    await closed.stop();
  }
  if (addresses.length === 0) return;
  const open = await startServer({
    args: [
      "-t",
      "1",
      "-q",
      "--root",
      site,
      "--status-path",
      "/_portico",
      "--status-allow",
      `${addresses[0]}/32,fd00::/8`,
    ],
  });
  try {
    assert.equal((await getFrom(addresses[0]!, open.port, "/_portico/stats")).status, 200);
  } finally {
    await open.stop();
  }
});

test("--status-allow refuses an entry that is not an address or CIDR block", async () => {
  const { runCli } = await import("../helpers/server.ts");
  const result = await runCli(["--status-allow", "10.0.0.0/33", "--status-path", "/_p"]);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /--status-allow: "10\.0\.0\.0\/33" is not an IP address or CIDR block/);
});

/** A GET over a connection to the machine's own non-loopback address (the server sees that address). */
async function getFrom(address: string, port: number, target: string): Promise<{ status: number }> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    let data = "";
    socket.setEncoding("latin1");
    socket.on("connect", () => socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    socket.on("data", (d: string) => (data += d));
    socket.on("end", () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0) }));
    socket.on("error", reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error("timeout")));
  });
}
