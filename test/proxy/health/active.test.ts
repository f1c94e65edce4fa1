// Active health: rise/fall counting, status matching, and real probes against a live and a dead port.

import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { ActiveHealth, HealthChecker, isExpectedStatus } from "../../../src/proxy/health/active.ts";

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
  const target = (name: string, p: number, health = new ActiveHealth(1, 1)) => ({ host: "127.0.0.1", port: p, authority: `127.0.0.1:${p}`, health, changed: (up: boolean) => changes.push(`${name}:${up}`) });
  for (const [path, expectDown] of [["/healthz", false], ["/broken", true]] as const) {
    const t = target(path, port);
    const checker = new HealthChecker([t], { intervalMs: 1000, timeoutMs: 1000, path, expect: [2], rise: 1, fall: 1 });
    checker.probeAll();
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(t.health.up, !expectDown, path);
  }
  server.close();
  const dead = target("dead", port);
  const checker = new HealthChecker([dead], { intervalMs: 1000, timeoutMs: 1000, path: "", expect: [], rise: 1, fall: 1 });
  checker.probeAll();
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(dead.health.up, false);
  assert.deepEqual(changes, ["/broken:false", "dead:false"]);
});
