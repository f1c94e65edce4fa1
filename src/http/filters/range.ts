// Byte ranges (RFC 9110 §14): parsing a Range field against a representation length, coalescing,
// Content-Range values and the multipart/byteranges layout (§14.6). Pure: no I/O, no response writing;
// a handler turns the layout into bytes from memory or from disk.

import { Buffer } from "node:buffer";

/** An inclusive byte range [start, end] of a representation. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** No usable Range: serve the whole representation (absent, other unit, bad syntax, too many ranges). */
export const RANGE_IGNORED = 0;
/** Valid syntax, but no range overlaps the representation: 416 (§15.5.17). */
export const RANGE_UNSATISFIABLE = 1;
/** `ranges` holds one or more satisfiable, coalesced ranges in ascending order. */
export const RANGE_PARTIAL = 2;

export interface RangeResult {
  readonly kind: typeof RANGE_IGNORED | typeof RANGE_UNSATISFIABLE | typeof RANGE_PARTIAL;
  readonly ranges: readonly ByteRange[];
}

const IGNORED: RangeResult = { kind: RANGE_IGNORED, ranges: [] };
const UNSATISFIABLE: RangeResult = { kind: RANGE_UNSATISFIABLE, ranges: [] };

/** The most range-specs accepted in one field; more is treated as abuse and served whole (§14.2). */
export const MAX_RANGES = 64;

/**
 * Parses `Range: bytes=…` for a representation of `size` bytes. Suffix ranges (`-N`) mean the last N
 * bytes, open ranges (`N-`) run to the end, a last-pos beyond the end is clamped (§14.1.2).
 * Overlapping or adjacent ranges are merged, so a client cannot make the server send a byte twice.
 */
export function parseRange(value: string, size: number, maxRanges: number = MAX_RANGES): RangeResult {
  const v = value.trim();
  const eq = v.indexOf("=");
  // Only the bytes unit is understood; any other unit is ignored (§14.2).
  if (eq !== 5 || v.slice(0, 5).toLowerCase() !== "bytes") return IGNORED;
  // An empty representation has no byte to select: serve it whole (a server may ignore Range, §14.2), as nginx does.
  if (size === 0) return IGNORED;
  const specs = v.slice(6).split(",");
  const found: ByteRange[] = [];
  let count = 0;
  let syntaxOk = true;
  for (const raw of specs) {
    const spec = raw.trim();
    if (spec === "") continue; // empty list members are allowed (§5.6.1)
    if (++count > maxRanges) return IGNORED;
    const dash = spec.indexOf("-");
    if (dash === -1) {
      syntaxOk = false;
      break;
    }
    const first = spec.slice(0, dash);
    const last = spec.slice(dash + 1);
    if (first === "") {
      if (!isDigits(last)) {
        syntaxOk = false;
        break;
      }
      const suffix = Number(last);
      if (suffix === 0) continue; // selects no bytes: unsatisfiable on its own
      found.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    if (!isDigits(first) || (last !== "" && !isDigits(last))) {
      syntaxOk = false;
      break;
    }
    const start = Number(first);
    const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== "" && Number(last) < start) {
      // last-pos < first-pos makes the spec invalid (§14.1.1); like nginx, answer 416 rather than guess.
      continue;
    }
    if (start >= size) continue; // unsatisfiable spec
    found.push({ start, end });
  }
  if (!syntaxOk || count === 0) return IGNORED;
  if (found.length === 0) return UNSATISFIABLE;
  return { kind: RANGE_PARTIAL, ranges: coalesceRanges(found) };
}

/** Sorts ranges and merges those that overlap or touch (§14.2 allows coalescing). */
export function coalesceRanges(ranges: readonly ByteRange[]): ByteRange[] {
  if (ranges.length === 1) return [ranges[0]!];
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: ByteRange[] = [];
  let current = sorted[0]!;
  for (let i = 1; i < sorted.length; i++) {
    const next = sorted[i]!;
    if (next.start <= current.end + 1) {
      if (next.end > current.end) current = { start: current.start, end: next.end };
    } else {
      out.push(current);
      current = next;
    }
  }
  out.push(current);
  return out;
}

/** `bytes first-last/complete-length` (§14.4). */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

/** `bytes *\/complete-length`, sent with 416 (§14.4). */
export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`;
}

/** One body part of a multipart/byteranges response: its head, then bytes [start, end] of the file. */
export interface MultipartPart {
  readonly head: string;
  readonly start: number;
  readonly end: number;
}

export interface MultipartLayout {
  readonly contentType: string;
  readonly parts: readonly MultipartPart[];
  /** The closing delimiter, written after the last part. */
  readonly tail: string;
  /** Total body length, for Content-Length. */
  readonly length: number;
}

/** Lays out a multipart/byteranges body (§14.6): part heads and the delimiter, with its exact length. */
export function multipartLayout(
  ranges: readonly ByteRange[],
  size: number,
  contentType: string,
  boundary: string,
): MultipartLayout {
  const parts: MultipartPart[] = [];
  let length = 0;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    const head = `${i === 0 ? "" : "\r\n"}--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: ${contentRange(r, size)}\r\n\r\n`;
    parts.push({ head, start: r.start, end: r.end });
    length += Buffer.byteLength(head, "latin1") + (r.end - r.start + 1);
  }
  const tail = `\r\n--${boundary}--\r\n`;
  length += tail.length;
  return { contentType: `multipart/byteranges; boundary=${boundary}`, parts, tail, length };
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
