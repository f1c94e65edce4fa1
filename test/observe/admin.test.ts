// The status handler's figures: percentiles interpolated inside the log2 buckets, sums over threads,
// and the access rule (loopback unless allowed) applied before anything is answered.

import assert from "node:assert/strict";
import { test } from "node:test";
import { AdminHandler } from "../../src/observe/admin.ts";
import { type LatencyBucket, quantileMs } from "../../src/observe/stats.ts";
import { STATS_LAYOUT } from "../../src/runtime/shared-memory.ts";

function buckets(counts: Record<number, number>): LatencyBucket[] {
  return Array.from({ length: 28 }, (_, k) => ({
    leMs: k === 27 ? Number.POSITIVE_INFINITY : 2 ** k / 1000,
    count: counts[k] ?? 0,
  }));
}

test("a percentile falls inside its bucket, interpolated, not at the bucket's upper bound", () => {
  // 100 requests between 32.768 and 65.536 ms (bucket 16).
  const b = buckets({ 16: 100 });
  assert.equal(quantileMs(b, 100, 0.5), 32.768 + 32.768 * 0.5);
  assert.equal(quantileMs(b, 100, 1), 65.536);
  assert.ok(quantileMs(b, 100, 0.01) > 32.768);
  assert.equal(quantileMs(b, 0, 0.5), 0, "no requests yet");
  // 90 fast (≤ 1 µs), 10 slow: p50 is fast, p99 is slow.
  const mixed = buckets({ 0: 90, 20: 10 });
  assert.ok(quantileMs(mixed, 100, 0.5) <= 0.001);
  assert.ok(quantileMs(mixed, 100, 0.99) > 524.288);
  // Past the last finite bound: reported as twice that bound, never Infinity.
  assert.equal(quantileMs(buckets({ 27: 1 }), 1, 0.5), (2 ** 26 / 1000) * 2 * 0.5 + (2 ** 26 / 1000) * 0.5);
});

test("the snapshot sums the threads' regions and keeps status-path requests apart", () => {
  const threads = 2;
  const stats = new BigInt64Array(new SharedArrayBuffer(threads * STATS_LAYOUT.slots * 8));
  const set = (t: number, slot: number, v: number): void => {
    stats[t * STATS_LAYOUT.slots + slot] = BigInt(v);
  };
  set(0, STATS_LAYOUT.requests, 3);
  set(1, STATS_LAYOUT.requests, 4);
  set(0, STATS_LAYOUT.status + 100, 3);
  set(1, STATS_LAYOUT.status + 404 - 100, 4);
  set(1, STATS_LAYOUT.latency + 16, 7);
  set(0, STATS_LAYOUT.latencySumUs, 350_000);
  set(1, STATS_LAYOUT.statusPathRequests, 9);
  set(0, STATS_LAYOUT.loopDelayP99Us, 10_500);
  const admin = new AdminHandler({
    path: "/_p",
    stats,
    layout: STATS_LAYOUT,
    threads,
    startedAt: Date.now(),
    version: "t",
  });
  const s = admin.snapshot();
  assert.equal(s.requests, 7);
  assert.deepEqual(s.status, { "200": 3, "404": 4 });
  assert.deepEqual(s.statusClasses, { "1xx": 0, "2xx": 3, "3xx": 0, "4xx": 4, "5xx": 0 });
  assert.equal(s.latency.count, 7);
  assert.equal(s.latency.sumSeconds, 0.35);
  assert.equal(s.latency.meanMs, 50);
  assert.equal(s.statusPathRequests, 9);
  assert.equal(s.perThread[0]!.loopDelayP99Ms, 10.5);
  assert.deepEqual(
    s.perThread.map((t) => t.requests),
    [3, 4],
  );
});
