// The latency histogram's bucketing: bucket k holds durations up to 2^k µs.

import assert from "node:assert/strict";
import { test } from "node:test";
import { latencyBucket } from "../../src/observe/stats.ts";

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
