// A thread's counters: counted locally, stored into shared memory at the end of the turn (the write
// hold), only the changed slots, and continued by a restarted thread.

import assert from "node:assert/strict";
import { test } from "node:test";
import { SharedRow } from "../../src/observe/shared-row.ts";

test("counts reach shared memory at the end of the turn, not before; a new row continues them", async () => {
  const shared = new BigInt64Array(new SharedArrayBuffer(2 * 4 * 8));
  const row = new SharedRow(shared, 4, 4);
  row.add(0, 1);
  row.add(0, 1);
  row.add(2, 1500);
  row.set(3, 7);
  assert.equal(shared[4], 0n, "not stored mid-turn");
  assert.equal(row.get(0), 2);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual([...shared.slice(4)], [2n, 0n, 1500n, 7n]);
  assert.deepEqual([...shared.slice(0, 4)], [0n, 0n, 0n, 0n], "another thread's row untouched");
  const restarted = new SharedRow(shared, 4, 4);
  restarted.add(0, 1);
  restarted.flush();
  assert.equal(shared[4], 3n);
});
