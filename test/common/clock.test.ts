// The cached clocks: one time per read callback, fresh after it; the Date header
// string and its epoch; HTTP-date parsing of the three forms RFC 9110 §5.6.7 names.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  dateEpoch,
  dateHeaderLine,
  enterCallback,
  formatHttpDate,
  httpDate,
  leaveCallback,
  loopMonotonic,
  loopNow,
  parseHttpDate,
} from "../../src/common/clock.ts";

function busyWait(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

test("loopNow and loopMonotonic hold still within a read callback and move on after it", () => {
  enterCallback();
  const wall = loopNow();
  const mono = loopMonotonic();
  busyWait(15);
  assert.equal(loopNow(), wall);
  assert.equal(loopMonotonic(), mono);
  assert.ok(Math.abs(wall - Date.now()) < 1000);
  leaveCallback();
  assert.ok(loopNow() >= wall + 14, "after the callback the clock is read again");
  assert.ok(loopMonotonic() >= mono + 14);
  enterCallback();
  assert.ok(loopMonotonic() >= mono + 14, "and the next callback reads it afresh");
  leaveCallback();
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
