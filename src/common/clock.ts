// A cached clock: the IMF-fixdate string for the Date header (RFC 9110 §6.6.1), refreshed at most
// once per second instead of formatting a date per response, and the time read at most once per I/O
// callback (as nginx reads its time once per event-loop iteration): a clock read costs ~40 ns here
// and a request asks for the time four or five times. The transport brackets each read callback with
// enterCallback/leaveCallback; outside such a bracket (timers, other callbacks) every call reads the
// clock. One clock is read, the monotonic one; wall-clock time is derived from it with an offset
// checked against Date.now() at most once a second, so a step of the system clock is followed within
// a second. Not a timer service: deadlines live in sweeper.ts.

import { performance } from "node:perf_hooks";

let caching = false;
let cachedMono = -1;
/** Date.now() minus performance.now(), as of syncedAt. */
let wallOffset = Date.now() - performance.now();
let syncedAt = performance.now();

/** A read callback starts: the clock is read at most once until leaveCallback(). */
export function enterCallback(): void {
  caching = true;
  cachedMono = -1;
}

/** The read callback is over: later calls read the clock again. */
export function leaveCallback(): void {
  caching = false;
  cachedMono = -1;
}

/** performance.now() as of this I/O callback, for durations. */
export function loopMonotonic(): number {
  if (cachedMono >= 0) return cachedMono;
  const now = performance.now();
  if (caching) cachedMono = now;
  return now;
}

/**
 * performance.now() read now, bypassing the per-callback cache: for the end of a request, which
 * usually falls in the same callback that read its first byte (a cached read would make it 0 µs).
 */
export function monotonicNow(): number {
  return performance.now();
}

/** Date.now() as of this I/O callback (whole milliseconds). */
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
