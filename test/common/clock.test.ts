// The cached clocks: one time per event-loop turn for read callbacks, fresh outside them; the Date header
// string and its epoch; HTTP-date parsing of the three forms RFC 9110 §5.6.7 names.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  armTurnEnd,
  atTurnEnd,
  dateEpoch,
  dateHeaderLine,
  enterCallback,
  formatHttpDate,
  httpDate,
  leaveCallback,
  loopMonotonic,
  loopNow,
  monotonicNow,
  parseHttpDate,
} from "../../src/common/clock.ts";

function busyWait(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

test("two read callbacks in one turn see the same start; a new turn reads the clock again", async () => {
  await nextTurn();
  enterCallback();
  const wall = loopNow();
  const first = loopMonotonic();
  leaveCallback();
  busyWait(15);
  enterCallback();
  assert.equal(loopMonotonic(), first, "a later read callback of the same turn sees the turn's reading");
  assert.equal(loopNow(), wall);
  leaveCallback();
  assert.ok(loopMonotonic() > first, "outside a read callback the clock is read afresh");
  await nextTurn();
  enterCallback();
  const next = loopMonotonic();
  leaveCallback();
  assert.ok(next > first, "the next turn's first read callback reads the clock again");
  assert.ok(Math.abs(wall - Date.now()) < 1000);
});

test("a duration from the turn's start to monotonicNow() is never negative", async () => {
  await nextTurn();
  enterCallback();
  const start = loopMonotonic();
  leaveCallback();
  for (let i = 0; i < 1000; i++) assert.ok(monotonicNow() - start >= 0);
  enterCallback();
  assert.ok(monotonicNow() >= loopMonotonic());
  leaveCallback();
});

test("the turn's end runs registered tasks once per armed turn, after dropping the reading", async () => {
  await nextTurn();
  let runs = 0;
  let seen = -2;
  let active = true;
  atTurnEnd(() => {
    if (!active) return;
    runs++;
    enterCallback();
    seen = loopMonotonic();
    leaveCallback();
  });
  enterCallback();
  const start = loopMonotonic();
  leaveCallback();
  armTurnEnd();
  armTurnEnd();
  busyWait(2);
  await nextTurn();
  assert.equal(runs, 1, "one run however often the turn was armed");
  assert.ok(seen > start, "a read callback after the turn's end reads a new time");
  active = false;
  await nextTurn();
  assert.equal(runs, 1, "a turn nobody armed runs nothing");
});

test("outside a read callback (timers, other callbacks) every call reads the clock", () => {
  const first = loopMonotonic();
  busyWait(5);
  assert.ok(loopMonotonic() >= first + 4);
});

test("loopNow follows the wall clock: whole milliseconds, within a few of Date.now()", () => {
  for (let i = 0; i < 5; i++) {
    const now = loopNow();
    assert.equal(now, Math.floor(now));
    assert.ok(Math.abs(now - Date.now()) <= 5, `${now} vs ${Date.now()}`);
    busyWait(3);
  }
});

test("the Date header is an IMF-fixdate of the current second", () => {
  const line = dateHeaderLine();
  assert.match(line, /^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n$/);
  assert.equal(line, `Date: ${httpDate()}\r\n`);
  assert.ok(Math.abs(dateEpoch() - Math.floor(Date.now() / 1000)) <= 1);
});

test("HTTP-dates parse in all three forms and nothing looser", () => {
  const ms = Date.UTC(1994, 10, 6, 8, 49, 37);
  assert.equal(formatHttpDate(ms + 999), "Sun, 06 Nov 1994 08:49:37 GMT");
  assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), ms);
  assert.equal(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), ms);
  assert.equal(parseHttpDate("Sun Nov  6 08:49:37 1994"), ms);
  assert.ok(Number.isNaN(parseHttpDate("1994-11-06")));
  assert.ok(Number.isNaN(parseHttpDate("Sun, 06 Nov 1994 08:49:37")));
});
