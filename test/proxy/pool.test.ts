// The keep-alive pool: bounded, most recently parked first, forgets and closes on demand.

import assert from "node:assert/strict";
import { test } from "node:test";
import { KeepAlivePool } from "../../src/proxy/pool.ts";

class Fake {
  destroyed = false;
  destroy(): void {
    this.destroyed = true;
  }
}

test("keeps at most max idle connections and hands out the most recent first", () => {
  const pool = new KeepAlivePool<Fake>(2);
  const [a, b, c] = [new Fake(), new Fake(), new Fake()];
  assert.equal(pool.park(a), true);
  assert.equal(pool.park(b), true);
  assert.equal(pool.park(c), false, "over the bound: the caller closes it");
  assert.equal(pool.take(), b);
  assert.equal(pool.take(), a);
  assert.equal(pool.take(), null);
});

test("remove forgets a closed connection; clear closes the rest", () => {
  const pool = new KeepAlivePool<Fake>(4);
  const [a, b] = [new Fake(), new Fake()];
  pool.park(a);
  pool.park(b);
  pool.remove(a);
  assert.equal(pool.size, 1);
  pool.clear();
  assert.equal(b.destroyed, true);
  assert.equal(pool.size, 0);
});
