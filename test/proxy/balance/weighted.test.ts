// Smooth weighted round robin: exact shares over a window, interleaved.

import assert from "node:assert/strict";
import { test } from "node:test";
import { policyOptions } from "../../../src/proxy/balance/policy.ts";
import { WeightedPolicy } from "../../../src/proxy/balance/weighted.ts";

test("each upstream is chosen weight times per sum(weights) picks, interleaved", () => {
  const policy = new WeightedPolicy(policyOptions(3, { weights: [5, 1, 1] }));
  const picks = Array.from({ length: 7 }, () => policy.pick(() => true, ""));
  assert.deepEqual(picks.filter((i) => i === 0).length, 5);
  assert.deepEqual(picks.filter((i) => i === 1).length, 1);
  assert.deepEqual(picks, [0, 0, 1, 0, 2, 0, 0]);
});
