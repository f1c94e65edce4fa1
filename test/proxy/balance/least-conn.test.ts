// Least connections reads the shared Atomics counts: the least loaded upstream wins, ties rotate.

import assert from "node:assert/strict";
import { test } from "node:test";
import { LeastConnPolicy } from "../../../src/proxy/balance/least-conn.ts";
import { policyOptions } from "../../../src/proxy/balance/policy.ts";

test("picks the upstream with the fewest active requests", () => {
  const active = new Int32Array(new SharedArrayBuffer(12));
  const policy = new LeastConnPolicy(policyOptions(3, { active }));
  Atomics.store(active, 0, 5);
  Atomics.store(active, 1, 2);
  Atomics.store(active, 2, 7);
  assert.equal(policy.pick(() => true, ""), 1);
  Atomics.store(active, 1, 9);
  assert.equal(policy.pick(() => true, ""), 0);
});

test("ties rotate over the equally loaded upstreams", () => {
  const policy = new LeastConnPolicy(policyOptions(3));
  const picks = [0, 1, 2, 3, 4, 5].map(() => policy.pick(() => true, ""));
  assert.deepEqual(new Set(picks), new Set([0, 1, 2]));
});

test("weights scale capacity", () => {
  const active = new Int32Array(2);
  const policy = new LeastConnPolicy(policyOptions(2, { active, weights: [1, 4] }));
  active[0] = 1;
  active[1] = 3;
  assert.equal(policy.pick(() => true, ""), 1);
});
