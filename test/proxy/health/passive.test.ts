// Passive health: consecutive failures eject, the cool-down ends in one trial, and its result decides.

import assert from "node:assert/strict";
import { test } from "node:test";
import { PassiveHealth } from "../../../src/proxy/health/passive.ts";

test("ejects after maxFails consecutive failures; a success in between resets the count", () => {
  const h = new PassiveHealth({ maxFails: 3, cooldownMs: 1000 });
  h.recordFailure(0);
  h.recordFailure(0);
  h.recordSuccess();
  assert.equal(h.recordFailure(0), false);
  assert.equal(h.recordFailure(0), false);
  assert.equal(h.recordFailure(0), true);
  assert.equal(h.isAvailable(500), false);
});

test("after the cool-down exactly one trial goes through; success readmits, failure re-ejects", () => {
  const h = new PassiveHealth({ maxFails: 1, cooldownMs: 1000 });
  h.recordFailure(0);
  assert.equal(h.isAvailable(999), false);
  assert.equal(h.isAvailable(1000), true);
  h.chosen();
  assert.equal(h.isAvailable(1001), false, "a second request waits for the trial");
  assert.equal(h.recordFailure(1002), true);
  assert.equal(h.isAvailable(1500), false);
  assert.equal(h.isAvailable(2002), true);
  h.chosen();
  assert.equal(h.recordSuccess(), true);
  assert.equal(h.isAvailable(2003), true);
  assert.equal(h.ejected, false);
});

test("maxFails 0 never ejects", () => {
  const h = new PassiveHealth({ maxFails: 0, cooldownMs: 1000 });
  for (let i = 0; i < 10; i++) assert.equal(h.recordFailure(0), false);
  assert.equal(h.isAvailable(0), true);
});
