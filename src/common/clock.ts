// A cached wall clock: the IMF-fixdate string for the Date header (RFC 9110 §6.6.1), refreshed at most
// once per second instead of formatting a date per response, and the time read once per turn of the
// event loop (as nginx caches its time per event-loop iteration): a clock read costs ~50 ns here and a
// request made four. Not a timer service: deadlines live in sweeper.ts.

let loopMs = -1;
let loopMonotonicMs = -1;
let resetScheduled = false;

function resetLoopTime(): void {
  resetScheduled = false;
  loopMs = -1;
  loopMonotonicMs = -1;
}

function scheduleReset(): void {
  if (resetScheduled) return;
  resetScheduled = true;
  // Immediates run after the I/O callbacks of the current loop turn: every read in one turn shares
  // one time, the next turn reads the clock again.
  setImmediate(resetLoopTime);
}

/** Date.now() as of this turn of the event loop (at most one turn old). */
export function loopNow(): number {
  if (loopMs < 0) {
    loopMs = Date.now();
    scheduleReset();
  }
  return loopMs;
}

/** performance.now() as of this turn of the event loop, for durations with the loop's resolution. */
export function loopMonotonic(): number {
  if (loopMonotonicMs < 0) {
    loopMonotonicMs = performance.now();
    scheduleReset();
  }
  return loopMonotonicMs;
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
