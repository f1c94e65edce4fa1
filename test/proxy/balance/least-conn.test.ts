// Least connections reads the active counts: the least loaded upstream wins, ties rotate.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ActiveCounts } from "../../../src/proxy/balance/active-counts.ts";
import { LeastConnPolicy } from "../../../src/proxy/balance/least-conn.ts";
import { policyOptions } from "../../../src/proxy/balance/policy.ts";

/** Local counts holding `values`. */
function countsOf(values: number[]): ActiveCounts {
  const active = new ActiveCounts(values.length);
  values.forEach((v, i) => {
    for (let k = 0; k < v; k++) active.add(i);
  });
  return active;
}

test("picks the upstream with the fewest active requests", () => {
  const active = countsOf([5, 2, 7]);
  const policy = new LeastConnPolicy(policyOptions(3, { active }));
  assert.equal(
    policy.pick(() => true, ""),
    1,
  );
  for (let k = 0; k < 7; k++) active.add(1);
  assert.equal(
    policy.pick(() => true, ""),
    0,
  );
});

test("ties rotate over the equally loaded upstreams", () => {
  const policy = new LeastConnPolicy(policyOptions(3));
  const picks = [0, 1, 2, 3, 4, 5].map(() => policy.pick(() => true, ""));
  assert.deepEqual(new Set(picks), new Set([0, 1, 2]));
});

test("weights scale capacity", () => {
  const policy = new LeastConnPolicy(policyOptions(2, { active: countsOf([1, 3]), weights: [1, 4] }));
  assert.equal(
    policy.pick(() => true, ""),
    1,
  );
});

test("a single upstream is picked while it is eligible, whatever its count, and not once it is out", () => {
  const policy = new LeastConnPolicy(policyOptions(1, { active: countsOf([9]) }));
  assert.equal(
    policy.pick(() => true, ""),
    0,
  );
  assert.equal(
    policy.pick(() => false, ""),
    -1,
  );
});
