// The latency histogram's bucketing (bucket k holds durations up to 2^k µs), and where a response's
// time ends: when the turn's held writes leave.

import assert from "node:assert/strict";
import { test } from "node:test";
import { monotonicNow } from "../../src/common/clock.ts";
import { requestFinishChannel } from "../../src/http/events.ts";
import { latencyBucket, StatsRecorder } from "../../src/observe/stats.ts";
import { STATS_LAYOUT } from "../../src/runtime/shared-memory.ts";

test("a duration's bucket is ceil(log2(µs)), below 1 µs the first and past the last bucket the last", () => {
  for (const us of [1, 1.5, 2, 3, 4, 4.2, 5, 7.9, 8, 9, 1000, 1024, 1025, 65_535.5, 1e6, 3.7e6]) {
    assert.equal(latencyBucket(us / 1000, 64), Math.ceil(Math.log2(us)), `${us} µs`);
  }
  assert.equal(latencyBucket(0, 24), 0);
  assert.equal(latencyBucket(0.0004, 24), 0);
  assert.equal(latencyBucket(2 ** 23 / 1000, 24), 23);
  assert.equal(latencyBucket(2 ** 23 / 1000 + 1, 24), 23, "longer than the last bound: the last bucket");
  assert.equal(latencyBucket(7_200_000, 24), 23, "two hours");
});

test("a response's time ends when the turn's held writes leave, and is stored before they do", async () => {
  const shared = new BigInt64Array(new SharedArrayBuffer(STATS_LAYOUT.slots * 8));
  const recorder = new StatsRecorder(shared, 0, STATS_LAYOUT);
  recorder.start();
  try {
    // A request whose head was read 50 ms ago, whose commit reported 0 ms: the histogram takes the
    // duration from the request's start to the end of the turn, not the commit's figure.
    const request = { path: "/x", headStart: 0, headEnd: 20, contentLength: -1, versionMinor: 1, routeSlot: 0 };
    (request as { startTime?: number }).startTime = monotonicNow() - 50;
    requestFinishChannel.publish({ request, status: 200, handled: true, bodyBytes: 5, durationMs: 0, complete: true });
    assert.equal(Atomics.load(shared, STATS_LAYOUT.requests), 0n, "nothing is stored before the turn ends");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(Atomics.load(shared, STATS_LAYOUT.requests), 1n);
    const sumUs = Number(Atomics.load(shared, STATS_LAYOUT.latencySumUs));
    assert.ok(sumUs >= 50_000, `${sumUs} µs: from the request's start, not the commit's 0 ms`);
    let count = 0n;
    let bucket = -1;
    for (let k = 0; k < STATS_LAYOUT.latencyBuckets; k++) {
      const n = Atomics.load(shared, STATS_LAYOUT.latency + k);
      count += n;
      if (n > 0n) bucket = k;
    }
    assert.equal(count, 1n);
    assert.ok(bucket >= latencyBucket(50, STATS_LAYOUT.latencyBuckets));
  } finally {
    recorder.stop();
  }
});
