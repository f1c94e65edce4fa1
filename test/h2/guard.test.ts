// The flood guard's allowances: resets and cheap frames are counted, decay by half each second, and
// completed responses earn cheap frames back.

import assert from "node:assert/strict";
import { test } from "node:test";
import { FloodGuard } from "../../src/h2/guard.ts";

test("resets past the allowance within about a second cut the connection", () => {
  const guard = new FloodGuard({ maxResets: 10, maxCheapFrames: 100 }, 0);
  for (let i = 0; i < 10; i++) assert.equal(guard.reset(0), true);
  assert.equal(guard.reset(0), false);
});

test("the scores halve every second, so a steady, moderate rate never adds up", () => {
  const guard = new FloodGuard({ maxResets: 10, maxCheapFrames: 100 }, 0);
  for (let second = 0; second < 60; second++)
    for (let i = 0; i < 5; i++) assert.equal(guard.reset(second * 1000), true);
});

test("cheap frames are allowed up to the limit, and each response earns a few back", () => {
  const guard = new FloodGuard({ maxResets: 10, maxCheapFrames: 8 }, 0);
  for (let i = 0; i < 8; i++) assert.equal(guard.cheapFrame(0), true);
  guard.responded();
  for (let i = 0; i < 4; i++) assert.equal(guard.cheapFrame(0), true);
  assert.equal(guard.cheapFrame(0), false);
});
