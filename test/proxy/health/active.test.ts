// Active health: rise/fall counting, status matching, real probes against a live and a dead port, and
// no probes piling up on an upstream slow to answer.

import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { test } from "node:test";
import { ActiveHealth, HealthChecker, isExpectedStatus } from "../../../src/proxy/health/active.ts";
import { delay } from "../../helpers/wait.ts";

test("fall failures take an upstream out, rise successes bring it back", () => {
  const h = new ActiveHealth(2, 3);
  assert.equal(h.record(false), false);
  assert.equal(h.record(false), false);
  assert.equal(h.record(true), false, "a success breaks the streak");
  h.record(false);
  h.record(false);
  assert.equal(h.record(false), true);
  assert.equal(h.up, false);
  assert.equal(h.record(true), false);
  assert.equal(h.record(true), true);
  assert.equal(h.up, true);
});

test("expected statuses match codes and classes", () => {
  assert.equal(isExpectedStatus(204, [2]), true);
  assert.equal(isExpectedStatus(302, [2]), false);
  assert.equal(isExpectedStatus(302, [2, 302]), true);
});

test("HTTP probes mark a failing path down and a dead port down", async () => {
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === "/healthz" ? 200 : 500;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const changes: string[] = [];
  const target = (name: string, p: number, health = new ActiveHealth(1, 1)) => ({
    host: "127.0.0.1",
    port: p,
    authority: `127.0.0.1:${p}`,
    health,
    changed: (up: boolean) => changes.push(`${name}:${up}`),
  });
  for (const [path, expectDown] of [
    ["/healthz", false],
    ["/broken", true],
  ] as const) {
    const t = target(path, port);
    const checker = new HealthChecker([t], { intervalMs: 1000, timeoutMs: 1000, path, expect: [2], rise: 1, fall: 1 });
    checker.probeAll();
    await delay(150);
    assert.equal(t.health.up, !expectDown, path);
  }
  server.close();
  const dead = target("dead", port);
  const checker = new HealthChecker([dead], {
    intervalMs: 1000,
    timeoutMs: 1000,
    path: "",
    expect: [],
    rise: 1,
    fall: 1,
  });
  checker.probeAll();
  await delay(150);
  assert.equal(dead.health.up, false);
  assert.deepEqual(changes, ["/broken:false", "dead:false"]);
});

test("a probe still waiting for its answer gets no second probe on top, and probes cut by stop() record nothing", async () => {
  const sockets = new Set<Socket>();
  const silent = http.createServer(() => {});
  silent.on("connection", (s) => sockets.add(s));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  const port = (silent.address() as AddressInfo).port;
  const changes: boolean[] = [];
  const target = {
    host: "127.0.0.1",
    port,
    authority: `127.0.0.1:${port}`,
    health: new ActiveHealth(1, 1),
    changed: (up: boolean) => changes.push(up),
  };
  const checker = new HealthChecker([target], {
    intervalMs: 1000,
    timeoutMs: 5000,
    path: "/health",
    expect: [2],
    rise: 1,
    fall: 1,
  });
  try {
    for (let i = 0; i < 5; i++) {
      checker.probeAll();
      await delay(20);
    }
    assert.equal(sockets.size, 1, "one probe in flight, not five");
    checker.stop();
    await delay(50);
    assert.equal(target.health.up, true);
    assert.deepEqual(changes, []);
  } finally {
    checker.stop();
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test("the first round of probes runs at start, not one interval later", async () => {
  let probed!: () => void;
  const arrived = new Promise<void>((r) => (probed = r));
  const server = http.createServer((_req, res) => {
    res.writeHead(204).end();
    probed();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const target = {
    host: "127.0.0.1",
    port,
    authority: `127.0.0.1:${port}`,
    health: new ActiveHealth(1, 1),
    changed: () => {},
  };
  // With a one-minute interval, only a probe made at start can arrive while the test runs.
  const checker = new HealthChecker([target], {
    intervalMs: 60_000,
    timeoutMs: 1000,
    path: "/health",
    expect: [2],
    rise: 1,
    fall: 1,
  });
  try {
    checker.start();
    await arrived;
  } finally {
    checker.stop();
    server.closeAllConnections();
    server.close();
  }
});

test("a shared verdict written by the probing thread's counter is what every other counter reads", () => {
  const table = new Int32Array(new SharedArrayBuffer(16));
  const prober = new ActiveHealth(2, 1);
  const reader = new ActiveHealth(2, 1);
  prober.share(table, 3);
  reader.share(table, 3);
  assert.equal(prober.record(false), true);
  assert.equal(reader.up, false);
  assert.equal(prober.record(true), false, "rise 2: one good probe is not enough");
  assert.equal(prober.record(true), true);
  assert.equal(reader.up, true);
  // A new prober (a restarted thread) carries on from the table, not from "up".
  Atomics.store(table, 3, 1);
  assert.equal(new ActiveHealth(1, 1).up, true);
  const restarted = new ActiveHealth(1, 1);
  restarted.share(table, 3);
  assert.equal(restarted.up, false);
});
