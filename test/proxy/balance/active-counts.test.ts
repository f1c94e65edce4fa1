// Per-thread rows of active counts: each thread writes its own row, readers sum the live rows, so a
// dead thread's in-flight counts stop counting and a restarted thread starts from a clean row.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ActiveCounts, type CountRows } from "../../../src/proxy/balance/active-counts.ts";
import { LeastConnPolicy } from "../../../src/proxy/balance/least-conn.ts";
import { PowerOfTwoPolicy } from "../../../src/proxy/balance/p2c.ts";
import { policyOptions } from "../../../src/proxy/balance/policy.ts";

const STRIDE = 8;
const ROWS = 4;

/** A shared table of ROWS rows; `live` starts with every row scanned and none live. */
function table(): { table: Int32Array; live: Int32Array } {
  return {
    table: new Int32Array(new SharedArrayBuffer(ROWS * STRIDE * 4)),
    live: new Int32Array(new SharedArrayBuffer((1 + ROWS) * 4)),
  };
}

function join(t: { table: Int32Array; live: Int32Array }, row: number): CountRows {
  Atomics.store(t.live, 0, Math.max(Atomics.load(t.live, 0), row + 1));
  Atomics.store(t.live, 1 + row, 1);
  return { table: t.table, stride: STRIDE, row, live: t.live };
}

test("load sums the rows of live threads; each thread adds to its own row only", () => {
  const t = table();
  const a = new ActiveCounts(3, join(t, 0), 2);
  const b = new ActiveCounts(3, join(t, 1), 2);
  a.add(0);
  a.add(0);
  b.add(0);
  b.add(2);
  assert.equal(a.load(0), 3);
  assert.equal(b.load(0), 3);
  assert.equal(a.load(2), 1);
  assert.equal(a.own(0), 2);
  assert.equal(b.own(0), 1);
  // Slots before the group's offset belong to another group.
  assert.equal(Atomics.load(t.table, 0 * STRIDE + 2), 2);
  assert.equal(Atomics.load(t.table, 1 * STRIDE + 4), 1);
  b.sub(0);
  assert.equal(a.load(0), 2);
});

test("a dead thread's in-flight counts leave the sum; its successor starts from zero", () => {
  const t = table();
  const survivor = new ActiveCounts(2, join(t, 0));
  const doomed = new ActiveCounts(2, join(t, 1));
  survivor.add(1);
  doomed.add(0);
  doomed.add(0);
  assert.equal(survivor.load(0), 2);
  // The thread of row 1 crashes with two requests in flight: the supervisor clears its live flag.
  Atomics.store(t.live, 2, 0);
  assert.equal(survivor.load(0), 0, "a crashed thread's counts no longer count");
  assert.equal(survivor.load(1), 1);
  // The next worker on row 1 zeroes the row before joining.
  for (let i = 0; i < STRIDE; i++) Atomics.store(t.table, STRIDE + i, 0);
  const successor = new ActiveCounts(2, join(t, 1));
  assert.equal(successor.load(0), 0);
  successor.add(0);
  assert.equal(survivor.load(0), 1);
});

test("least-conn and p2c choose by the summed load of all live threads", () => {
  const t = table();
  const mine = new ActiveCounts(2, join(t, 0));
  const other = new ActiveCounts(2, join(t, 1));
  // This thread has nothing in flight; another thread has three requests on upstream 0.
  for (let k = 0; k < 3; k++) other.add(0);
  mine.add(1);
  const leastConn = new LeastConnPolicy(policyOptions(2, { active: mine }));
  const p2c = new PowerOfTwoPolicy(policyOptions(2, { active: mine }));
  for (let k = 0; k < 4; k++) {
    assert.equal(
      leastConn.pick(() => true, ""),
      1,
    );
    assert.equal(
      p2c.pick(() => true, ""),
      1,
    );
  }
  // The other thread dies: upstream 0 is idle again and wins.
  Atomics.store(t.live, 2, 0);
  assert.equal(
    leastConn.pick(() => true, ""),
    0,
  );
  assert.equal(
    p2c.pick(() => true, ""),
    0,
  );
});

test("counts without shared rows are local to the thread", () => {
  const local = new ActiveCounts(2);
  local.add(1);
  assert.equal(local.load(1), 1);
  assert.equal(local.load(0), 0);
  assert.throws(
    () => new ActiveCounts(5, { table: new Int32Array(8), stride: 4, row: 0, live: new Int32Array(2) }),
    RangeError,
  );
});
