// Conditional requests (RFC 9110 §13): entity-tag lists, weak and strong comparison, the precedence of
// §13.2.2 and If-Range (§13.1.5). Pure: the caller passes field values and validators, gets a verdict.
// Not here: choosing the representation or building the 304/412 (handlers do that with their own heads).

import { parseHttpDate } from "../../common/clock.ts";

/** Verdicts of evaluateConditions: go on with the request, answer 304, or answer 412. */
export const PROCEED = 0;
export const NOT_MODIFIED = 304;
export const PRECONDITION_FAILED = 412;

const DQUOTE = 0x22;

/**
 * True when a list of entity-tags (or "*") matches `etag`. `etag` is the representation's tag as sent
 * in ETag (quoted, maybe W/-prefixed). Weak comparison ignores W/ on both sides; strong comparison
 * requires neither to be weak (RFC 9110 §8.8.3.2). A malformed list matches nothing from the fault on.
 */
export function matchesEtagList(list: string, etag: string, weak: boolean): boolean {
  const etagWeak = etag.startsWith("W/");
  if (!weak && etagWeak) {
    // A weak validator never matches strongly, but "*" still means "any current representation".
    return list.trim() === "*";
  }
  const opaque = etagWeak ? etag.slice(2) : etag;
  const n = list.length;
  let i = 0;
  while (i < n) {
    const c = list.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x2c) {
      i++;
      continue;
    }
    if (c === 0x2a) return true; // "*" (RFC 9110 §13.1.1, §13.1.2)
    let tagWeak = false;
    if (c === 0x57 && list.charCodeAt(i + 1) === 0x2f) {
      tagWeak = true;
      i += 2;
    }
    if (list.charCodeAt(i) !== DQUOTE) return false;
    const close = list.indexOf('"', i + 1);
    if (close === -1) return false;
    if (close + 1 - i === opaque.length && list.startsWith(opaque, i) && (weak || !tagWeak)) return true;
    i = close + 1;
  }
  return false;
}

/**
 * Evaluates the preconditions of a request in the order of RFC 9110 §13.2.2 against the selected
 * representation's validators. `lastModifiedMs` is NaN when the representation has no Last-Modified.
 * Undefined fields are absent. Returns PROCEED, NOT_MODIFIED or PRECONDITION_FAILED.
 */
export function evaluateConditions(
  isGetOrHead: boolean,
  ifMatch: string | undefined,
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  ifUnmodifiedSince: string | undefined,
  etag: string,
  lastModifiedMs: number,
): number {
  // Step 1 and 2: If-Match, else If-Unmodified-Since (§13.1.1, §13.1.4).
  if (ifMatch !== undefined) {
    if (!matchesEtagList(ifMatch, etag, false)) return PRECONDITION_FAILED;
  } else if (ifUnmodifiedSince !== undefined) {
    const since = parseSingleDate(ifUnmodifiedSince);
    if (!Number.isNaN(since) && !Number.isNaN(lastModifiedMs) && lastModifiedMs > since) return PRECONDITION_FAILED;
  }
  // Step 3 and 4: If-None-Match, else If-Modified-Since for GET/HEAD only (§13.1.2, §13.1.3).
  if (ifNoneMatch !== undefined) {
    if (matchesEtagList(ifNoneMatch, etag, true)) return isGetOrHead ? NOT_MODIFIED : PRECONDITION_FAILED;
  } else if (ifModifiedSince !== undefined && isGetOrHead) {
    const since = parseSingleDate(ifModifiedSince);
    if (!Number.isNaN(since) && !Number.isNaN(lastModifiedMs) && lastModifiedMs <= since) return NOT_MODIFIED;
  }
  return PROCEED;
}

/**
 * If-Range (RFC 9110 §13.1.5): true when the Range may be honoured. An entity-tag must match strongly;
 * a date must equal Last-Modified exactly. Anything else (weak tag, bad date) means "send it all".
 */
export function evaluateIfRange(value: string, etag: string, lastModifiedMs: number): boolean {
  const v = value.trim();
  if (v.startsWith("W/")) return false;
  if (v.charCodeAt(0) === DQUOTE) return !etag.startsWith("W/") && v === etag;
  const date = parseHttpDate(v);
  return !Number.isNaN(date) && date === lastModifiedMs;
}

/** An HTTP-date that is the field's only member; NaN otherwise (a list is ignored, §13.1.3). */
function parseSingleDate(value: string): number {
  return parseHttpDate(value.trim());
}
