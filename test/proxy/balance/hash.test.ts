// Consistent hashing: a key sticks to one upstream, and ejecting one upstream moves only its keys.

import assert from "node:assert/strict";
import { test } from "node:test";
import { HashPolicy } from "../../../src/proxy/balance/hash.ts";
import { policyOptions } from "../../../src/proxy/balance/policy.ts";

test("the same key always lands on the same upstream", () => {
  const policy = new HashPolicy(policyOptions(4));
  const first = policy.pick(() => true, "session-abc");
  for (let k = 0; k < 10; k++)
    assert.equal(
      policy.pick(() => true, "session-abc"),
      first,
    );
});

test("removing one upstream moves only the keys it owned", () => {
  const policy = new HashPolicy(policyOptions(4));
  let moved = 0;
  for (let k = 0; k < 1000; k++) {
    const key = `user-${k}`;
    const before = policy.pick(() => true, key);
    const after = policy.pick((i) => i !== 3, key);
    if (before !== 3) assert.equal(after, before);
    else moved++;
  }
  assert.ok(moved > 150 && moved < 350, `moved ${moved}`);
});
