// A cached clock: the IMF-fixdate string for the Date header (RFC 9110 §6.6.1), refreshed at most
// once per second instead of formatting a date per response, and the time read at most once per
// event-loop turn (as nginx reads its time once per event-loop iteration): the first read callback of
// a turn reads it, every later one in the same turn sees that reading, the moment the loop learned of
// their bytes. The transport brackets each read callback with enterCallback/leaveCallback; outside
// such a bracket (timers, write completions) every call reads the clock. The turn ends in one shared
// setImmediate (atTurnEnd: the write hold runs there too). One clock is read, the monotonic one;
// wall-clock time is derived from it with an offset checked against Date.now() at most once a second,
// so a step of the system clock is followed within a second. Not a timer service: deadlines live in
// sweeper.ts.

import { performance } from "node:perf_hooks";

let inRead = false;
/** The turn's reading, or -1 until a read callback of this turn asks for the time. */
let turnMono = -1;
/** The turn-end immediate is armed (a reading is cached or a task waits). */
let armed = false;
const turnEndTasks: Array<() => void> = [];
/** Date.now() minus performance.now(), as of syncedAt. */
let wallOffset = Date.now() - performance.now();
let syncedAt = performance.now();

/**
 * The end of the turn: immediates run after the turn's I/O callbacks. The reading is dropped before
 * any task runs, so a task that throws cannot leave a stale time behind. The immediate is ref'ed on
 * purpose: while one is pending libuv polls without blocking, so a reading cached after this ran
 * (a read bracket in the check or close phase) is never carried across an idle wait.
 */
function endTurn(): void {
  armed = false;
  turnMono = -1;
  for (let i = 0; i < turnEndTasks.length; i++) turnEndTasks[i]!();
}

/** Registers a task for the end of every turn in which armTurnEnd() was called (at load time: a fixed set). */
export function atTurnEnd(task: () => void): void {
  turnEndTasks.push(task);
}

/** The registered tasks run at the end of this turn: one setImmediate per turn for all of them and the clock. */
export function armTurnEnd(): void {
  if (armed) return;
  armed = true;
  setImmediate(endTurn);
}

/** A read callback starts: loopMonotonic() returns the turn's reading until leaveCallback(). */
export function enterCallback(): void {
  inRead = true;
}

/** The read callback is over: later calls outside a read callback read the clock again. */
export function leaveCallback(): void {
  inRead = false;
}

/**
 * performance.now() as of this event-loop turn's first read callback (within a read callback), or
 * now (outside one): where a request's time starts. Never later than monotonicNow().
 */
export function loopMonotonic(): number {
  if (!inRead) return performance.now();
  if (turnMono < 0) {
    turnMono = performance.now();
    armTurnEnd();
  }
  return turnMono;
}

/**
 * performance.now() read now, bypassing the turn's cache: for the end of a request, which usually
 * falls in the same turn that read its first byte (a cached read would make it 0 µs).
 */
export function monotonicNow(): number {
  return performance.now();
}

/** Date.now() as of this turn within a read callback, else now (whole milliseconds). */
export function loopNow(): number {
  const mono = loopMonotonic();
  if (mono - syncedAt >= 1000) {
    wallOffset = Date.now() - mono;
    syncedAt = mono;
  }
  return Math.floor(wallOffset + mono);
}

let cachedSecond = -1;
let cachedDate = "";
let cachedDateLine = "";

function refresh(nowMs: number): void {
  const second = Math.floor(nowMs / 1000);
  if (second === cachedSecond) return;
  cachedSecond = second;
  cachedDate = new Date(second * 1000).toUTCString();
  cachedDateLine = `Date: ${cachedDate}\r\n`;
}

/** The current IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
export function httpDate(): string {
  refresh(loopNow());
  return cachedDate;
}

/** `Date: <IMF-fixdate>\r\n`, ready to be placed in a response head. */
export function dateHeaderLine(): string {
  refresh(loopNow());
  return cachedDateLine;
}

/** A number that changes exactly when the Date header changes: lets callers cache bytes per second. */
export function dateEpoch(): number {
  refresh(loopNow());
  return cachedSecond;
}

/** Formats any time (ms since the epoch) as an IMF-fixdate. */
export function formatHttpDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toUTCString();
}

/** Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime, RFC 9110 §5.6.7) to ms, or NaN. */
export function parseHttpDate(value: string): number {
  // Date.parse accepts all three obsolete forms as well as IMF-fixdate; guard against the
  // looser inputs it also accepts by requiring the shapes the RFC names.
  if (!HTTP_DATE_SHAPE.test(value)) return Number.NaN;
  const ms = Date.parse(value.endsWith("GMT") || value.includes("-") ? value : `${value} GMT`);
  return ms;
}

const HTTP_DATE_SHAPE =
  /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4})$/;
