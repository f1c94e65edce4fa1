// The HTTP/1.1 response-head parser (RFC 9112 §4–§6; RFC 9110 §5, §15), used to read upstream
// responses. Pure: bytes in, a filled ResponseHead or an HttpError out, no I/O. Incremental through
// scanResponseHead (finds the end of the head across any split), then parseResponseHead validates the
// complete head in one pass. Bodies are framed here (responseBodyKind) but decoded elsewhere.

import { Buffer } from "node:buffer";
import { CR, equalsLowerAscii, HTAB, LF, SP, TCHAR, trimWhitespaceEnd } from "../common/bytes.ts";
import { isReadView, READ_WORDS } from "./arena.ts";
import { contentLengthOf } from "./content-length.ts";
import { HttpError } from "./errors.ts";
import { F_CONNECTION, F_CONTENT_LENGTH, F_TRANSFER_ENCODING, identifyField } from "./headers.ts";
import { HEAD_INCOMPLETE, type HeadScan, SCAN_BARE_LF, scanHeadEnd } from "./scan-head.ts";

export interface ResponseParseLimits {
  /** Largest head (status line + fields + final CRLF) in bytes. */
  readonly maxHeaderBytes: number;
  /** Most header fields. */
  readonly maxHeaderCount: number;
}

export const DEFAULT_RESPONSE_LIMITS: ResponseParseLimits = { maxHeaderBytes: 65536, maxHeaderCount: 200 };

/** A parsed response head; field offsets index into `raw`, values become strings only on request. */
export class ResponseHead {
  raw: Buffer = EMPTY;
  status = 0;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  versionMinor = 1;
  reasonStart = 0;
  reasonEnd = 0;
  /** Per field: nameStart, nameEnd, valueStart, valueEnd, known id (or -1), as in RequestHead. */
  fields: number[] = [];
  /** Index just past the head's final CRLF in `raw`. */
  headEnd = 0;
  /** Declared body length, or -1 when there is no Content-Length. */
  contentLength = -1;
  chunked = false;
  /** Transfer-Encoding present without chunked last: the body runs until the server closes (§6.3). */
  untilClose = false;
  /** Whether the server keeps the connection open after this response (RFC 9112 §9.3). */
  keepAlive = true;
  /** Connection: upgrade was sent (meaningful with a 101). */
  connectionUpgrade = false;
  /** Connection names fields other than close, keep-alive and upgrade (hop-by-hop, RFC 9110 §7.6.1). */
  connectionNamesFields = false;

  get reason(): string {
    return this.raw.toString("latin1", this.reasonStart, this.reasonEnd);
  }

  /** First value of a known field (by id from headers.ts), or undefined. */
  get(id: number): string | undefined {
    const f = this.fields;
    for (let k = 4; k < f.length; k += 5) {
      if (f[k] === id) return this.raw.toString("latin1", f[k - 2]!, f[k - 1]!);
    }
    return undefined;
  }

  /** Lower-cased, trimmed, non-empty members of every line of a known comma-separated field. */
  tokens(id: number): string[] {
    const out: string[] = [];
    const f = this.fields;
    for (let k = 4; k < f.length; k += 5) {
      if (f[k] !== id) continue;
      for (const part of this.raw.toString("latin1", f[k - 2]!, f[k - 1]!).split(",")) {
        const t = part.trim().toLowerCase();
        if (t !== "") out.push(t);
      }
    }
    return out;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Looks for the end of a response head starting at `start`. Returns the index just past the empty
 * line, -1 when more bytes are needed (scan is updated), or an HttpError (bare LF, too large).
 */
export function scanResponseHead(
  buf: Buffer,
  start: number,
  end: number,
  scan: HeadScan,
  limits: ResponseParseLimits,
): number | HttpError {
  const at = scanHeadEnd(buf, start, end, scan, {
    maxFirstLineBytes: limits.maxHeaderBytes,
    maxHeadBytes: limits.maxHeaderBytes,
    leadingEmptyLines: false,
  });
  if (at >= HEAD_INCOMPLETE) return at;
  if (at === SCAN_BARE_LF) return new HttpError(502, "BARE_LF", "Upstream line ends with LF without CR");
  return tooLarge();
}

function tooLarge(): HttpError {
  return new HttpError(502, "HEADERS_TOO_LARGE", "Upstream response head too large");
}

function bad(
  code: "BAD_STATUS_LINE" | "BAD_HEADER_NAME" | "BAD_HEADER_VALUE" | "OBS_FOLD" | "BARE_CR" | "WHITESPACE_BEFORE_COLON",
  message: string,
): HttpError {
  return new HttpError(502, code, message);
}

/**
 * Parses a head that probably arrived whole, without scanning for its end first: true when the head
 * starting at `start` is complete and valid (`into.headEnd` is where it ends), false when it is
 * incomplete or invalid, which the caller then finds out through scanResponseHead + parseResponseHead.
 * A success here is exactly a success there: the parser accepts no bare LF and the size is checked.
 */
export function parseWholeResponseHead(
  buf: Buffer,
  start: number,
  limits: ResponseParseLimits,
  into: ResponseHead,
): boolean {
  // Reading past the end yields undefined, which matches no byte the parser accepts.
  if (parseInto(buf, start, buf.length, limits, into) !== null || into.headEnd - start > limits.maxHeaderBytes) {
    into.fields.length = 0;
    return false;
  }
  return true;
}

/**
 * Parses the complete head buf[start, end) into `into`. Returns null on success or the error to
 * answer the client with (always a 502: an intermediary must not forward a response it cannot frame,
 * RFC 9112 §6.3). `into` is filled from scratch, so a connection can reuse one ResponseHead.
 */
export function parseResponseHead(
  buf: Buffer,
  start: number,
  end: number,
  limits: ResponseParseLimits,
  into: ResponseHead,
): HttpError | null {
  const error = parseInto(buf, start, end, limits, into);
  // A head that failed holds no fields (not even the previous response's).
  if (error !== null) into.fields.length = 0;
  return error;
}

function parseInto(
  buf: Buffer,
  start: number,
  end: number,
  limits: ResponseParseLimits,
  into: ResponseHead,
): HttpError | null {
  // The fields array is overwritten in place and trimmed at the end: emptying it first would drop
  // its storage and regrow it on every response.
  let n = 0;
  into.contentLength = -1;
  into.chunked = false;
  into.untilClose = false;
  into.connectionUpgrade = false;
  into.connectionNamesFields = false;
  let i = start;
  // status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF (RFC 9112 §4)
  if (
    end - i < 14 ||
    buf[i] !== 0x48 ||
    buf[i + 1] !== 0x54 ||
    buf[i + 2] !== 0x54 ||
    buf[i + 3] !== 0x50 ||
    buf[i + 4] !== 0x2f ||
    buf[i + 5] !== 0x31 ||
    buf[i + 6] !== 0x2e ||
    !isDigit(buf[i + 7]!) ||
    buf[i + 8] !== SP
  ) {
    return bad("BAD_STATUS_LINE", "Malformed upstream status line");
  }
  into.versionMinor = buf[i + 7]! - 0x30;
  i += 9;
  if (!isDigit(buf[i]!) || !isDigit(buf[i + 1]!) || !isDigit(buf[i + 2]!))
    return bad("BAD_STATUS_LINE", "Malformed upstream status code");
  const status = (buf[i]! - 0x30) * 100 + (buf[i + 1]! - 0x30) * 10 + (buf[i + 2]! - 0x30);
  if (status < 100) return bad("BAD_STATUS_LINE", "Upstream status code out of range");
  into.status = status;
  i += 3;
  // Many servers omit the SP before an empty reason; accepting that costs nothing and breaks no framing.
  // Anything else after the three digits ("2000") is not a status code.
  if (buf[i] === SP) i++;
  else if (buf[i] !== CR) return bad("BAD_STATUS_LINE", "Malformed upstream status code");
  into.reasonStart = i;
  while (buf[i] === HTAB || (buf[i]! >= 0x20 && buf[i] !== 0x7f)) i++;
  if (buf[i] !== CR || buf[i + 1] !== LF) return bad("BAD_STATUS_LINE", "Invalid byte in upstream reason phrase");
  into.reasonEnd = i;
  i += 2;
  into.raw = buf;

  const fields = into.fields;
  // A view of the thread's read area can be read as words (arena.ts); another buffer byte by byte.
  const words = isReadView(buf) ? READ_WORDS : null;
  let count = 0;
  let clIndex = -1;
  let teSeen = false;
  let connectionIndex = -1;
  let connectionLines = 0;
  while (true) {
    if (buf[i] === CR) {
      if (buf[i + 1] !== LF) return bad("BARE_CR", "Upstream sent CR without LF");
      i += 2;
      break;
    }
    // RFC 9112 §5.2: a proxy must reject obs-fold in a response (or rewrite it); we reject.
    if (buf[i] === SP || buf[i] === HTAB) return bad("OBS_FOLD", "Upstream used obsolete line folding");
    const nameStart = i;
    while (TCHAR[buf[i]!] === 1) i++;
    const nameEnd = i;
    if (buf[i] !== 0x3a) {
      if (nameEnd > nameStart && (buf[i] === SP || buf[i] === HTAB))
        return bad("WHITESPACE_BEFORE_COLON", "Upstream put whitespace before a colon");
      return bad("BAD_HEADER_NAME", "Invalid upstream field name");
    }
    if (nameEnd === nameStart) return bad("BAD_HEADER_NAME", "Empty upstream field name");
    i++;
    while (buf[i] === SP || buf[i] === HTAB) i++;
    const valueStart = i;
    if (words !== null) {
      // Four bytes at a time while none is a control byte or DEL (bit tricks: "some byte < 0x20",
      // "some byte == 0x7f"; bytes from 0x80 up are obs-text, allowed); the byte loop below finishes.
      while (i + 4 <= end) {
        const x = words.getInt32(i, true);
        const d = x ^ 0x7f7f7f7f;
        if (((((x - 0x20202020) & ~x) | ((d - 0x01010101) & ~d)) & 0x80808080) !== 0) break;
        i += 4;
      }
    }
    // field-vchar, SP, HTAB (RFC 9110 §5.5), compared inline: cheaper per byte than a table read.
    let b = buf[i]!;
    while (b >= 0x20 ? b !== 0x7f : b === HTAB) b = buf[++i]!;
    if (buf[i] !== CR || buf[i + 1] !== LF) return bad("BAD_HEADER_VALUE", "Invalid byte in upstream field value");
    const valueEnd = trimWhitespaceEnd(buf, valueStart, i);
    i += 2;
    if (++count > limits.maxHeaderCount)
      return new HttpError(502, "TOO_MANY_HEADERS", "Too many upstream header fields");
    const id = identifyField(buf, nameStart, nameEnd);
    fields[n] = nameStart;
    fields[n + 1] = nameEnd;
    fields[n + 2] = valueStart;
    fields[n + 3] = valueEnd;
    fields[n + 4] = id;
    if (id === F_CONTENT_LENGTH) clIndex = n;
    else if (id === F_TRANSFER_ENCODING) teSeen = true;
    else if (id === F_CONNECTION) {
      connectionIndex = n;
      connectionLines++;
    }
    n += 5;
  }
  into.headEnd = i;
  if (fields.length !== n) fields.length = n;

  let close = false;
  let keepAlive = false;
  if (connectionLines > 0) {
    // Fast path: one Connection line holding a single common token, compared without allocating.
    const single = connectionLines === 1;
    const vs = fields[connectionIndex + 2]!;
    const ve = fields[connectionIndex + 3]!;
    if (single && equalsLowerAscii(buf, vs, ve, "keep-alive")) keepAlive = true;
    else if (single && equalsLowerAscii(buf, vs, ve, "close")) close = true;
    else {
      for (const token of into.tokens(F_CONNECTION)) {
        if (token === "close") close = true;
        else if (token === "keep-alive") keepAlive = true;
        else if (token === "upgrade") into.connectionUpgrade = true;
        else into.connectionNamesFields = true;
      }
    }
  }
  into.keepAlive = close ? false : into.versionMinor === 1 ? true : keepAlive;

  // Framing (RFC 9112 §6.3). Both Transfer-Encoding and Content-Length is a smuggling signal: refuse.
  if (teSeen) {
    if (clIndex !== -1)
      return new HttpError(
        502,
        "CONTENT_LENGTH_WITH_TRANSFER_ENCODING",
        "Upstream sent both Transfer-Encoding and Content-Length",
      );
    const codings = into.tokens(F_TRANSFER_ENCODING);
    if (codings.length > 0 && codings[codings.length - 1] === "chunked") {
      // A coding under chunked would have to be forwarded as such; we only pass identity bodies.
      if (codings.length > 1)
        return new HttpError(502, "UNKNOWN_TRANSFER_CODING", "Upstream used a transfer coding other than chunked");
      into.chunked = true;
    } else {
      // A body in a coding we would not decode and cannot label for the client once Transfer-Encoding
      // (hop-by-hop) is dropped: passing it on would hand the client bytes it cannot read.
      return new HttpError(502, "UNKNOWN_TRANSFER_CODING", "Upstream used a transfer coding other than chunked");
    }
  } else if (clIndex !== -1) {
    const length = contentLengthOf(into.raw, into.fields);
    if (length < 0) return new HttpError(502, "BAD_CONTENT_LENGTH", "Invalid upstream Content-Length");
    into.contentLength = length;
  } else {
    into.untilClose = true;
  }
  return null;
}

export const BODY_NONE = 0;
export const BODY_LENGTH = 1;
export const BODY_CHUNKED = 2;
export const BODY_UNTIL_CLOSE = 3;

/** How the body of `head` is framed, given the request method it answers (RFC 9112 §6.3). */
export function responseBodyKind(head: ResponseHead, requestMethod: string): number {
  const status = head.status;
  if (requestMethod === "HEAD" || status < 200 || status === 204 || status === 304) return BODY_NONE;
  if (head.chunked) return BODY_CHUNKED;
  if (head.contentLength >= 0) return head.contentLength === 0 ? BODY_NONE : BODY_LENGTH;
  return BODY_UNTIL_CLOSE;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}
