// The dashboard's history: per-second rates and the latency percentiles of each interval, from the
// increase of cumulative snapshots; a bounded ring.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { StatsSnapshot } from "../../src/observe/admin.ts";
import { HISTORY_SAMPLES, StatsHistory } from "../../src/observe/history.ts";

function snapshot(requests: number, slowBucket: number, fastBucket: number, bytesOut: number): StatsSnapshot {
  const buckets = Array.from({ length: 28 }, (_, k) => ({
    leMs: k === 27 ? Number.POSITIVE_INFINITY : 2 ** k / 1000,
    count: k === 16 ? slowBucket : k === 4 ? fastBucket : 0,
  }));
  return {
    version: "t",
    uptimeSeconds: 0,
    threads: 1,
    requests,
    statusPathRequests: 0,
    bytesIn: 0,
    bytesOut,
    connections: { active: 3, total: 3, rejected: 0 },
    status: {},
    statusClasses: { "1xx": 0, "2xx": requests, "3xx": 0, "4xx": 0, "5xx": 0 },
    protocols: {},
    latency: { count: requests, sumSeconds: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, buckets },
    process: { residentBytes: 0 },
    fileCache: { hits: 0, misses: 0, bytes: 0, entries: 0 },
    perThread: [],
    upstreams: [],
    routes: [],
    tls: { handshakes: { full: 0, resumed: 0 }, failures: {}, certificates: [] },
  };
}

test("a sample is the increase over its interval: rates per second, percentiles of that interval only", () => {
  const h = new StatsHistory();
  h.add(1000, snapshot(100, 0, 100, 0));
  assert.deepEqual(h.since(0), [], "the first snapshot is the baseline");
  // In the next two seconds: 200 requests, all slow (32–65 ms), 2 MB sent.
  h.add(3000, snapshot(300, 200, 100, 2_000_000));
  const [s] = h.since(0);
  assert.equal(s?.t, 3000);
  assert.equal(s.rps, 100);
  assert.deepEqual(s.classes, [0, 100, 0, 0, 0]);
  assert.equal(s.bytesOutPerSec, 1_000_000);
  assert.equal(s.connections, 3);
  // The 100 fast requests before the interval do not pull its median down.
  assert.ok(s.p50Ms > 32.768 && s.p50Ms <= 65.536, `p50 ${s.p50Ms}`);
  assert.deepEqual(h.since(3000), []);
});

test("the ring keeps the last HISTORY_SAMPLES seconds", () => {
  const h = new StatsHistory();
  for (let i = 0; i <= HISTORY_SAMPLES + 10; i++) h.add(i * 1000, snapshot(i, 0, i, 0));
  const all = h.since(0);
  assert.equal(all.length, HISTORY_SAMPLES);
  assert.equal(all.at(-1)?.t, (HISTORY_SAMPLES + 10) * 1000);
  assert.equal(all[0]?.t, 11_000);
});
