// A cached wall clock: the IMF-fixdate string for the Date header (RFC 9110 §6.6.1) and a coarse
// millisecond time, refreshed at most once per second instead of formatting a date per response.
// Not a timer service: deadlines live in sweeper.ts.

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
  refresh(Date.now());
  return cachedDate;
}

/** `Date: <IMF-fixdate>\r\n`, ready to be placed in a response head. */
export function dateHeaderLine(): string {
  refresh(Date.now());
  return cachedDateLine;
}

/** A number that changes exactly when the Date header changes: lets callers cache bytes per second. */
export function dateEpoch(): number {
  refresh(Date.now());
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
