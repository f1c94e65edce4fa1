// One conformance suite run against every balancing policy: only eligible upstreams are chosen, -1
// when none is, every upstream gets traffic, and a retry that excludes the first choice finds another.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createPolicy } from "../../../src/proxy/balance/create-policy.ts";
import { POLICY_NAMES, policyOptions } from "../../../src/proxy/balance/policy.ts";

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

for (const name of POLICY_NAMES) {
  const make = (n: number) => createPolicy(name, policyOptions(n, { random: seeded(7) }));

  test(`${name}: returns -1 when no upstream is eligible`, () => {
    assert.equal(
      make(3).pick(() => false, "k"),
      -1,
    );
    assert.equal(
      make(0).pick(() => true, "k"),
      -1,
    );
  });

  test(`${name}: only ever picks eligible upstreams`, () => {
    const policy = make(5);
    for (let round = 0; round < 500; round++) {
      const mask = (round % 31) + 1;
      const i = policy.pick((k) => (mask & (1 << k)) !== 0, `client-${round}`);
      assert.ok(i >= 0 && (mask & (1 << i)) !== 0, `picked ${i} for mask ${mask}`);
    }
  });

  test(`${name}: spreads distinct keys over every upstream`, () => {
    const policy = make(4);
    const seen = new Set<number>();
    for (let round = 0; round < 400; round++) seen.add(policy.pick(() => true, `10.0.0.${round}`));
    assert.deepEqual([...seen].sort(), [0, 1, 2, 3]);
  });

  test(`${name}: a retry excluding the first choice finds another upstream`, () => {
    const policy = make(3);
    const first = policy.pick(() => true, "same-key");
    const second = policy.pick((i) => i !== first, "same-key");
    assert.notEqual(second, -1);
    assert.notEqual(second, first);
  });

  test(`${name}: a single eligible upstream is always the answer`, () => {
    const policy = make(4);
    for (let round = 0; round < 20; round++)
      assert.equal(
        policy.pick((i) => i === 2, `k${round}`),
        2,
      );
  });
}
