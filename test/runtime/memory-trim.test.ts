// Memory trimming: V8's memory-reducing collection gives back what a burst grew, and the idle trimmer
// runs it only once activity has been followed by quiet — never while work keeps coming, never twice
// for one burst.

import assert from "node:assert/strict";
import { test } from "node:test";
import v8 from "node:v8";
import { IdleTrimmer, trimMemory } from "../../src/runtime/memory-trim.ts";

test("trimming gives back the heap a burst of garbage grew", () => {
  let burst: unknown[] | null = [];
  for (let i = 0; i < 400_000; i++) burst.push({ i, text: `item ${i}` });
  const grown = v8.getHeapStatistics().total_physical_size;
  burst = null;
  trimMemory();
  const after = v8.getHeapStatistics().total_physical_size;
  assert.ok(after < grown - (8 << 20), `physical heap ${grown} → ${after}`);
  assert.equal(burst, null);
});

test("the idle trimmer trims after start-up and after activity, each followed by two quiet samples, once", () => {
  let counter = 0;
  let trims = 0;
  const trimmer = new IdleTrimmer(
    () => counter,
    () => trims++,
    1000,
  );
  trimmer.check();
  assert.equal(trims, 0);
  trimmer.check();
  assert.equal(trims, 1, "start-up counts as activity: quiet after it trims");
  trimmer.check();
  trimmer.check();
  assert.equal(trims, 1, "nothing happened since: nothing to give back");
  counter += 5;
  trimmer.check(); // busy
  assert.equal(trims, 1);
  trimmer.check(); // quiet once
  assert.equal(trims, 1);
  trimmer.check(); // quiet twice: trim
  assert.equal(trims, 2);
  trimmer.check();
  trimmer.check();
  assert.equal(trims, 2, "one trim per burst");
});

test("the idle trimmer never trims while work keeps coming", () => {
  let counter = 0;
  let trims = 0;
  const trimmer = new IdleTrimmer(
    () => counter,
    () => trims++,
    1000,
  );
  for (let i = 0; i < 20; i++) {
    counter++; // busy from the start
    trimmer.check();
    if (i % 2 === 0) trimmer.check(); // one quiet sample now and then is not quiet enough
  }
  assert.equal(trims, 0);
});
