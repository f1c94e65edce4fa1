// The keep-alive pool: bounded, most recently parked first, a burst's surplus kept for a moment and
// then closed oldest first, forgets and closes on demand.

import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { KeepAlivePool } from "../../src/proxy/pool.ts";

class Fake {
  destroyed = false;
  destroy(): void {
    this.destroyed = true;
  }
}

test("hands out the most recently parked first", () => {
  const pool = new KeepAlivePool<Fake>(2);
  const [a, b] = [new Fake(), new Fake()];
  assert.equal(pool.park(a), true);
  assert.equal(pool.park(b), true);
  assert.equal(pool.take(), b);
  assert.equal(pool.take(), a);
  assert.equal(pool.take(), null);
});

test("a burst's surplus stays while it is used; what stayed idle a whole second is closed, oldest first", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const pool = new KeepAlivePool<Fake>(2);
    const conns = [new Fake(), new Fake(), new Fake(), new Fake(), new Fake()];
    for (const c of conns) assert.equal(pool.park(c), true);
    assert.equal(pool.size, 5);
    // Two are taken and come back within the second: three stayed idle throughout.
    const [x, y] = [pool.take()!, pool.take()!];
    pool.park(y);
    pool.park(x);
    mock.timers.tick(1000);
    assert.deepEqual(
      conns.map((c) => c.destroyed),
      [true, false, false, false, false],
      "only the surplus that was idle the whole time went, the least recently parked",
    );
    assert.equal(pool.size, 4);
    // Nobody uses them for another second: down to the bound.
    mock.timers.tick(1000);
    assert.equal(pool.size, 2);
    assert.deepEqual(
      conns.map((c) => c.destroyed),
      [true, true, true, false, false],
    );
  } finally {
    mock.timers.reset();
  }
});

test("a pool of size 0 keeps nothing: the caller closes the connection", () => {
  const pool = new KeepAlivePool<Fake>(0);
  assert.equal(pool.park(new Fake()), false);
  assert.equal(pool.size, 0);
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
