// Finding the end of a message head (request or response) across any split of the input: the
// CRLF-terminated lines up to the empty one. Pure; each parser maps the outcome codes to its own
// errors (a client's request gets 400/414/431, an upstream's response a 502).

import { Buffer } from "node:buffer";
import { CR, LF } from "../common/bytes.ts";

/** Where an unfinished head scan stopped, so the next chunk continues instead of starting over. */
export interface HeadScan {
  /** Next byte to look at (absolute index into the buffer). */
  pos: number;
  /** Start of the line being scanned (absolute). */
  lineStart: number;
  /** Lines completed so far; 0 while still in the first line. */
  lines: number;
}

export const HEAD_INCOMPLETE = -1;
/** A line ends in LF without CR (RFC 9112 §2.2). */
export const SCAN_BARE_LF = -2;
/** The first line (request line or status line) is longer than allowed. */
export const SCAN_FIRST_LINE_TOO_LONG = -3;
/** The head is larger than allowed. */
export const SCAN_TOO_LARGE = -4;

export interface ScanLimits {
  readonly maxFirstLineBytes: number;
  readonly maxHeadBytes: number;
  /** Skip empty lines before the first line (RFC 9112 §2.2 allows it for requests). */
  readonly leadingEmptyLines: boolean;
}

const CRLFCRLF = Buffer.from("\r\n\r\n");

/**
 * Looks for the end of a head that starts at `start`. Returns the index just past the empty line,
 * HEAD_INCOMPLETE when more bytes are needed (scan is updated), or a negative SCAN_* code for a head
 * that can already be rejected.
 */
export function scanHeadEnd(buf: Buffer, start: number, end: number, scan: HeadScan, limits: ScanLimits): number {
  if (scan.pos === start && buf[start] !== CR) {
    // Fast path: a whole head arrived in one read, the usual case. Not with leading empty lines,
    // whose CRLFs the search would take for the end of the head.
    // A head over the size limit goes on to the line scan below, which finds out whether its first
    // line alone is already over its own limit (414 before 431, whatever the two limits are).
    const at = buf.indexOf(CRLFCRLF, start);
    if (at !== -1 && at + 4 <= end && at + 4 - start <= limits.maxHeadBytes) return at + 4;
  }
  let pos = scan.pos;
  while (pos < end) {
    const lf = buf.indexOf(LF, pos);
    if (lf === -1 || lf >= end) {
      pos = end;
      break;
    }
    if (lf === start || buf[lf - 1] !== CR) return SCAN_BARE_LF;
    const empty = lf - 1 === scan.lineStart;
    if (scan.lines === 0 && lf - 1 - scan.lineStart > limits.maxFirstLineBytes) return SCAN_FIRST_LINE_TOO_LONG;
    if (empty && scan.lines > 0) return lf + 1 - start > limits.maxHeadBytes ? SCAN_TOO_LARGE : lf + 1;
    // Leading empty lines stay part of the head so offsets stay simple; the parser skips them.
    if (!(empty && scan.lines === 0 && limits.leadingEmptyLines)) scan.lines++;
    scan.lineStart = lf + 1;
    pos = lf + 1;
  }
  scan.pos = pos;
  if (scan.lines === 0 && pos - scan.lineStart > limits.maxFirstLineBytes) return SCAN_FIRST_LINE_TOO_LONG;
  if (pos - start > limits.maxHeadBytes) return SCAN_TOO_LARGE;
  return HEAD_INCOMPLETE;
}
