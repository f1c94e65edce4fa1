// Unit tests for the rate limiter: GCRA token buckets (burst, refill, Retry-After), keys and zones,
// the bounded table's eviction order, and the count held across threads sharing one table.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import {
  BUCKET_WORDS,
  type BucketTable,
  cookieValue,
  newBucketTable,
  RateLimit,
  WAYS,
} from "../../src/middleware/rate-limit.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

/** A limiter on a fake clock (milliseconds) the test moves by hand. */
function limiter(
  options: { perSecond: number; burst: number; key?: string; zone?: number },
  table: BucketTable = newBucketTable(64),
): { limit: RateLimit; clock: { ms: number }; table: BucketTable } {
  const clock = { ms: 1_700_000_000_000 };
  const limit = new RateLimit({ key: "ip", zone: 0, ...options, table, now: () => clock.ms });
  return { limit, clock, table };
}

if (!isMainThread) {
  // A thread of the cross-thread test: takes tokens as fast as it can from the shared table.
  const { locks, words, sets, tries } = workerData as {
    locks: Int32Array;
    words: Int32Array;
    sets: number;
    tries: number;
  };
  const limit = new RateLimit({ perSecond: 1 / 3600, burst: 999, key: "ip", zone: 7, table: { locks, words, sets } });
  let granted = 0;
  for (let i = 0; i < tries; i++) if (limit.take("10.0.0.1") === 0) granted++;
  parentPort!.postMessage(granted);
} else {
  describe("token buckets", () => {
    test("burst + 1 requests pass at once (nginx burst=N nodelay), the next waits one interval", () => {
      const { limit } = limiter({ perSecond: 10, burst: 5 });
      for (let i = 0; i < 6; i++) assert.equal(limit.take("a"), 0, `request ${i + 1}`);
      assert.equal(limit.take("a"), 100, "one token comes back every 100 ms");
    });

    test("tokens come back at the rate and never beyond the burst", () => {
      const { limit, clock } = limiter({ perSecond: 10, burst: 2 });
      for (let i = 0; i < 3; i++) assert.equal(limit.take("a"), 0);
      assert.ok(limit.take("a") > 0);
      clock.ms += 100;
      assert.equal(limit.take("a"), 0, "one token after one interval");
      assert.ok(limit.take("a") > 0);
      clock.ms += 3_600_000;
      for (let i = 0; i < 3; i++) assert.equal(limit.take("a"), 0, "a long pause refills the bucket");
      assert.ok(limit.take("a") > 0, "…to burst + 1, not more");
    });

    test("a refused request spends nothing: the wait shrinks as time passes", () => {
      const { limit, clock } = limiter({ perSecond: 1, burst: 0 });
      assert.equal(limit.take("a"), 0);
      assert.equal(limit.take("a"), 1000);
      assert.equal(limit.take("a"), 1000, "a second refusal does not push the next token further out");
      clock.ms += 400;
      assert.equal(limit.take("a"), 600);
      clock.ms += 600;
      assert.equal(limit.take("a"), 0);
    });

    test("slow rates keep their fractions: 1/h lets one request an hour through", () => {
      const { limit, clock } = limiter({ perSecond: 1 / 3600, burst: 0 });
      assert.equal(limit.take("a"), 0);
      clock.ms += 3_599_000;
      assert.equal(limit.take("a"), 1000);
      clock.ms += 1000;
      assert.equal(limit.take("a"), 0);
    });

    test("keys and zones count apart", () => {
      const table = newBucketTable(64);
      const a = limiter({ perSecond: 1, burst: 0, zone: 1 }, table);
      const b = limiter({ perSecond: 1, burst: 0, zone: 2 }, table);
      assert.equal(a.limit.take("x"), 0);
      assert.ok(a.limit.take("x") > 0);
      assert.equal(a.limit.take("y"), 0, "another key has its own bucket");
      assert.equal(b.limit.take("x"), 0, "another zone (route) has its own bucket for the same key");
    });

    test("every word of the table is an Int32 and each set's lock is free after a take", () => {
      const { limit, table } = limiter({ perSecond: 1, burst: 0 });
      assert.ok(table.words instanceof Int32Array && table.locks instanceof Int32Array);
      for (let i = 0; i < 50; i++) limit.take(`k${i}`);
      assert.ok(table.locks.every((l) => l === 0));
    });
  });

  describe("bounded memory", () => {
    test("a new key takes an empty bucket, then a full one, and only then the least recently used", () => {
      // One set of WAYS buckets: every key of either limiter lands in it.
      const table = newBucketTable(1);
      assert.equal(table.words.length, WAYS * BUCKET_WORDS);
      const clock = { ms: 1_700_000_000_000 };
      const at = (s: number): void => {
        clock.ms = 1_700_000_000_000 + s * 1000;
      };
      const slow = new RateLimit({ perSecond: 0.01, burst: 0, key: "ip", zone: 1, table, now: () => clock.ms });
      const fast = new RateLimit({ perSecond: 1, burst: 0, key: "ip", zone: 2, table, now: () => clock.ms });
      const slowKeys = ["k0", "k1", "k2", "k3", "k4", "k5", "k6"];
      slowKeys.forEach((key, i) => {
        at(1 + i);
        assert.equal(slow.take(key), 0);
      });
      at(8);
      assert.equal(fast.take("fast"), 0);
      // At 10 s "fast" is full again (one token a second) though it is the most recently used.
      at(10);
      assert.equal(slow.take("n1"), 0);
      for (const key of slowKeys) assert.ok(slow.take(key) > 0, `${key} kept its debt: the full bucket went`);
      // Now every bucket is in debt; k0…k6 were used at 10 s, n1 again at 11 s with all but k0.
      at(11);
      for (const key of ["k1", "k2", "k3", "k4", "k5", "k6", "n1"]) assert.ok(slow.take(key) > 0);
      at(12);
      assert.equal(slow.take("n2"), 0);
      for (const key of ["k1", "k2", "k3", "k4", "k5", "k6", "n1", "n2"]) assert.ok(slow.take(key) > 0, key);
      assert.equal(slow.take("k0"), 0, "k0, the least recently used, was evicted: it starts full again");
    });
  });

  describe("the middleware", () => {
    test("over the limit: 429 with Retry-After in whole seconds, at least 1", () => {
      const { limit } = limiter({ perSecond: 10, burst: 0, key: "header:X-Key" });
      const first = exchangeFor("/", { "X-Key": "alice" });
      assert.equal(limit.intercept(first.req, first.res), false);
      const second = exchangeFor("/", { "X-Key": "alice" });
      assert.equal(limit.intercept(second.req, second.res), true);
      const { status, headers, body } = second.sink.parsed();
      assert.equal(status, 429);
      assert.equal(headers["retry-after"], "1");
      assert.equal(body.toString(), "Too Many Requests\n");
      const other = exchangeFor("/", { "X-Key": "bob" });
      assert.equal(limit.intercept(other.req, other.res), false, "another header value is another key");
    });

    test("key = cookie:NAME counts by that cookie's value", () => {
      const { limit } = limiter({ perSecond: 1, burst: 0, key: "cookie:sid" });
      const a = exchangeFor("/", { Cookie: "theme=dark; sid=abc" });
      assert.equal(limit.intercept(a.req, a.res), false);
      const again = exchangeFor("/", { Cookie: "sid=abc" });
      assert.equal(limit.intercept(again.req, again.res), true);
      const b = exchangeFor("/", { Cookie: "sid=xyz; theme=dark" });
      assert.equal(limit.intercept(b.req, b.res), false);
    });

    test("cookieValue reads one cookie of a Cookie field (RFC 6265 §5.4)", () => {
      assert.equal(cookieValue("a=1; sid=abc; b=2", "sid"), "abc");
      assert.equal(cookieValue("a=1;sid=abc", "sid"), "abc");
      assert.equal(cookieValue("xsid=1", "sid"), "");
      assert.equal(cookieValue(undefined, "sid"), "");
    });
  });

  test("threads sharing the table share the count: exactly burst + 1 grants between them", async () => {
    const sets = 16;
    const locks = new Int32Array(new SharedArrayBuffer(sets * 4));
    const words = new Int32Array(new SharedArrayBuffer(sets * WAYS * BUCKET_WORDS * 4));
    const tries = 5000;
    const run = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const worker = new Worker(new URL(import.meta.url), { workerData: { locks, words, sets, tries } });
        worker.once("message", resolve);
        worker.once("error", reject);
      });
    const granted = await Promise.all([run(), run(), run()]);
    assert.equal(
      granted.reduce((a, b) => a + b, 0),
      1000,
      `grants per thread: ${granted.join(", ")}`,
    );
  });
}
