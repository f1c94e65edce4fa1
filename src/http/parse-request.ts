// The HTTP/1.1 request-head parser (RFC 9112 §2–§3, §5–§6; RFC 9110 §5). Pure: bytes in, a filled
// RequestHead or an HttpError out, no I/O. Incremental through scanHead, which finds the end of the
// head across any split of the input and rejects over-long or malformed lines early; parseRequestHead
// then validates the complete head in one pass, so every split yields the same result.
// Bodies are framed here (Content-Length / chunked) but decoded elsewhere (chunked.ts).

import { CR, FIELD_VALUE, HTAB, LF, SP, TARGET_CHAR, TCHAR, trimWhitespaceEnd } from "../common/bytes.ts";
import { CONTENT_LENGTH_CONFLICT, CONTENT_LENGTH_TOO_LARGE, contentLengthOf } from "./content-length.ts";
import { HttpError } from "./errors.ts";
import { HEAD_INCOMPLETE, type HeadScan, SCAN_BARE_LF, SCAN_FIRST_LINE_TOO_LONG, scanHeadEnd } from "./scan-head.ts";
import {
  F_CONNECTION,
  F_CONTENT_LENGTH,
  F_EXPECT,
  F_HOST,
  F_TRANSFER_ENCODING,
  F_UPGRADE,
  identifyField,
} from "./headers.ts";
import type { RequestHead } from "./request-head.ts";

export interface ParseLimits {
  /** Longest request line in bytes, CRLF excluded; longer → 414. */
  readonly maxRequestLineBytes: number;
  /** Largest head (request line + fields + final CRLF) in bytes; larger → 431. */
  readonly maxHeaderBytes: number;
  /** Most header fields; more → 431. */
  readonly maxHeaderCount: number;
  /** RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400. Off only for clients known not to send it. */
  readonly requireHost: boolean;
  /** Accept HTTP/1.0 requests; when false they get 505 (a server for HTTP/1.1 clients only). */
  readonly acceptHttp10: boolean;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxRequestLineBytes: 8192,
  maxHeaderBytes: 16384,
  maxHeaderCount: 100,
  requireHost: true,
  acceptHttp10: true,
};

export { HEAD_INCOMPLETE, type HeadScan } from "./scan-head.ts";

/**
 * Looks for the end of a request head that starts at `start`. Returns the index just past the empty
 * line, HEAD_INCOMPLETE when more bytes are needed (scan is updated), or an HttpError for a head that
 * can already be rejected (bare LF, limits).
 */
export function scanHead(
  buf: Buffer,
  start: number,
  end: number,
  scan: HeadScan,
  limits: ParseLimits,
): number | HttpError {
  const at = scanHeadEnd(buf, start, end, scan, {
    maxFirstLineBytes: limits.maxRequestLineBytes,
    maxHeadBytes: limits.maxHeaderBytes,
    leadingEmptyLines: true,
  });
  if (at >= HEAD_INCOMPLETE) return at;
  if (at === SCAN_BARE_LF) return new HttpError(400, "BARE_LF", "Line ends with LF without CR");
  if (at === SCAN_FIRST_LINE_TOO_LONG) return new HttpError(414, "URI_TOO_LONG", "Request line too long");
  return new HttpError(431, "HEADERS_TOO_LARGE", "Header section too large");
}

const METHODS: ReadonlyArray<string> = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT"];

/** The method buf[start, end) as a string, the common ones without allocating. */
export function internMethod(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  for (const m of METHODS) {
    if (m.length !== len) continue;
    let same = true;
    for (let i = 0; i < len; i++) {
      if (buf[start + i] !== m.charCodeAt(i)) {
        same = false;
        break;
      }
    }
    if (same) return m;
  }
  return buf.toString("latin1", start, end);
}

/**
 * Parses the complete head buf[start, end) (end just past the final CRLF, as scanHead returned) into
 * `into`. Returns null on success or the HttpError to answer with.
 */
export function parseRequestHead(
  buf: Buffer,
  start: number,
  end: number,
  limits: ParseLimits,
  into: RequestHead,
): HttpError | null {
  let i = start;
  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line received before the request-line.
  while (i + 1 < end && buf[i] === CR && buf[i + 1] === LF) i += 2;
  const lineStart = i;

  // method = token
  while (TCHAR[buf[i]!] === 1) i++;
  if (i === lineStart || buf[i] !== SP) return badRequestLine(buf, i, end, "BAD_METHOD", "Invalid method");
  const method = internMethod(buf, lineStart, i);
  i++;

  // request-target: visible ASCII up to the single SP before the version
  const targetStart = i;
  while (TARGET_CHAR[buf[i]!] === 1) i++;
  const targetEnd = i;
  if (targetEnd === targetStart || buf[i] !== SP)
    return badRequestLine(buf, i, end, "BAD_TARGET", "Invalid request target");
  i++;

  // HTTP-version = "HTTP/" DIGIT "." DIGIT, then CRLF
  if (
    end - i < 10 ||
    buf[i] !== 0x48 ||
    buf[i + 1] !== 0x54 ||
    buf[i + 2] !== 0x54 ||
    buf[i + 3] !== 0x50 ||
    buf[i + 4] !== 0x2f ||
    !isDigit(buf[i + 5]!) ||
    buf[i + 6] !== 0x2e ||
    !isDigit(buf[i + 7]!) ||
    buf[i + 8] !== CR ||
    buf[i + 9] !== LF
  ) {
    return new HttpError(400, "BAD_VERSION", "Malformed HTTP version");
  }
  if (i + 8 - lineStart > limits.maxRequestLineBytes)
    return new HttpError(414, "URI_TOO_LONG", "Request line too long");
  const major = buf[i + 5]! - 0x30;
  const minor = buf[i + 7]! - 0x30;
  if (major !== 1 || minor > 1 || (minor === 0 && !limits.acceptHttp10)) {
    return new HttpError(505, "VERSION_NOT_SUPPORTED", "HTTP version not supported");
  }
  i += 10;

  into.raw = buf;
  into.headStart = start;
  into.lineStart = lineStart;
  into.targetEnd = targetEnd;
  into.method = method;
  into.versionMinor = minor;
  const targetError = parseTarget(buf, targetStart, targetEnd, method, into);
  if (targetError !== null) return targetError;

  // field-line = field-name ":" OWS field-value OWS CRLF  (RFC 9112 §5)
  const fields = into.fields;
  let count = 0;
  let hostIndex = -1;
  let clIndex = -1;
  let teSeen = false;
  let connectionSeen = false;
  let expectSeen = false;
  let upgradeSeen = false;
  while (true) {
    if (buf[i] === CR) {
      if (buf[i + 1] !== LF) return new HttpError(400, "BARE_CR", "CR not followed by LF");
      i += 2;
      break;
    }
    if (buf[i] === SP || buf[i] === HTAB)
      return new HttpError(400, "OBS_FOLD", "Obsolete line folding is not accepted");
    const nameStart = i;
    while (TCHAR[buf[i]!] === 1) i++;
    const nameEnd = i;
    const stop = buf[i];
    if (stop !== 0x3a) {
      if (nameEnd > nameStart && (stop === SP || stop === HTAB)) {
        return new HttpError(400, "WHITESPACE_BEFORE_COLON", "Whitespace between field name and colon");
      }
      if (stop === LF) return new HttpError(400, "BARE_LF", "Line ends with LF without CR");
      return new HttpError(400, "BAD_HEADER_NAME", "Invalid field name");
    }
    if (nameEnd === nameStart) return new HttpError(400, "BAD_HEADER_NAME", "Empty field name");
    i++;
    while (buf[i] === SP || buf[i] === HTAB) i++;
    const valueStart = i;
    while (FIELD_VALUE[buf[i]!] === 1) i++;
    if (buf[i] !== CR) {
      if (buf[i] === LF) return new HttpError(400, "BARE_LF", "Line ends with LF without CR");
      return new HttpError(400, "BAD_HEADER_VALUE", "Invalid byte in field value");
    }
    if (buf[i + 1] !== LF) return new HttpError(400, "BARE_CR", "CR not followed by LF");
    const valueEnd = trimWhitespaceEnd(buf, valueStart, i);
    i += 2;
    if (++count > limits.maxHeaderCount) return new HttpError(431, "TOO_MANY_HEADERS", "Too many header fields");
    const id = identifyField(buf, nameStart, nameEnd);
    fields.push(nameStart, nameEnd, valueStart, valueEnd, id);
    switch (id) {
      case F_HOST:
        if (hostIndex !== -1) return new HttpError(400, "DUPLICATE_HOST", "More than one Host field");
        hostIndex = fields.length - 5;
        break;
      case F_CONTENT_LENGTH:
        clIndex = fields.length - 5;
        break;
      case F_TRANSFER_ENCODING:
        teSeen = true;
        break;
      case F_CONNECTION:
        connectionSeen = true;
        break;
      case F_EXPECT:
        expectSeen = true;
        break;
      case F_UPGRADE:
        upgradeSeen = true;
        break;
    }
  }
  if (i - start > limits.maxHeaderBytes) return new HttpError(431, "HEADERS_TOO_LARGE", "Header section too large");
  into.headEnd = i;

  const hostError = checkHost(buf, into, hostIndex, minor === 1 && limits.requireHost);
  if (hostError !== null) return hostError;

  // Connection options (RFC 9112 §9.3): HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
  let close = false;
  let keepAlive = false;
  let connectionUpgrade = false;
  if (connectionSeen) {
    for (const token of into.tokens(F_CONNECTION)) {
      if (token === "close") close = true;
      else if (token === "keep-alive") keepAlive = true;
      else if (token === "upgrade") connectionUpgrade = true;
    }
  }
  into.keepAlive = close ? false : minor === 1 ? true : keepAlive;
  if (connectionUpgrade && upgradeSeen) into.upgrade = into.get(F_UPGRADE) ?? "";

  // Message body framing (RFC 9112 §6.1–§6.3).
  if (teSeen) {
    if (clIndex !== -1) {
      return new HttpError(400, "CONTENT_LENGTH_WITH_TRANSFER_ENCODING", "Both Transfer-Encoding and Content-Length");
    }
    if (minor === 0)
      return new HttpError(400, "TRANSFER_ENCODING_IN_HTTP10", "Transfer-Encoding in an HTTP/1.0 request");
    const codings = into.tokens(F_TRANSFER_ENCODING);
    if (codings.length === 0) return new HttpError(400, "CHUNKED_NOT_LAST", "Empty Transfer-Encoding");
    for (let k = 0; k < codings.length; k++) {
      const coding = codings[k]!;
      if (!isToken(coding)) return new HttpError(400, "CHUNKED_NOT_LAST", "Invalid transfer coding");
      if (coding === "chunked" && k !== codings.length - 1) {
        return new HttpError(400, "CHUNKED_NOT_LAST", "chunked must be the final transfer coding, applied once");
      }
    }
    if (codings[codings.length - 1] !== "chunked") {
      return new HttpError(400, "CHUNKED_NOT_LAST", "chunked is not the final transfer coding");
    }
    if (codings.length > 1) {
      // A coding under chunked that we do not decode (gzip, deflate, anything else): RFC 9112 §6.1.
      return new HttpError(501, "UNKNOWN_TRANSFER_CODING", "Transfer coding not implemented");
    }
    into.chunked = true;
  } else if (clIndex !== -1) {
    const lengthError = checkContentLength(buf, into);
    if (lengthError !== null) return lengthError;
  }
  return expectSeen ? checkExpect(into, minor === 1) : null;
}

// The checks after the field lines that HTTP/2 requests share (h2/request-fields.ts fills the head
// from a field block and then runs these, so both protocols judge a head the same way).

/** Host (RFC 9112 §3.2): at most one (counted by the caller), valid, present when `required`; an
 * absolute-form target's authority wins over it (§3.2.2). */
export function checkHost(buf: Buffer, into: RequestHead, hostIndex: number, required: boolean): HttpError | null {
  if (hostIndex !== -1) {
    const vs = into.fields[hostIndex + 2]!;
    const ve = into.fields[hostIndex + 3]!;
    if (!isValidHost(buf, vs, ve)) return new HttpError(400, "BAD_HOST", "Invalid Host field");
    into.hostFromField(vs, ve);
  } else if (required) {
    return new HttpError(400, "MISSING_HOST", "HTTP/1.1 request without Host");
  }
  return null;
}

/** Content-Length (RFC 9110 §8.6): one valid value (identical repeats allowed), not too large. */
export function checkContentLength(buf: Buffer, into: RequestHead): HttpError | null {
  const length = contentLengthOf(buf, into.fields);
  if (length === CONTENT_LENGTH_TOO_LARGE) return new HttpError(413, "BODY_TOO_LARGE", "Content-Length too large");
  if (length === CONTENT_LENGTH_CONFLICT)
    return new HttpError(400, "CONFLICTING_CONTENT_LENGTH", "Conflicting Content-Length values");
  if (length < 0) return new HttpError(400, "BAD_CONTENT_LENGTH", "Invalid Content-Length");
  into.contentLength = length;
  return null;
}

/** Expect (RFC 9110 §10.1.1): 100-continue is honoured when the client can understand 100
 * (`canContinue`; an HTTP/1.0 client's expectation is ignored), anything else is 417. */
export function checkExpect(into: RequestHead, canContinue: boolean): HttpError | null {
  const expect = into.getCombined(F_EXPECT)!.toLowerCase();
  if (expect === "100-continue") into.expectContinue = canContinue;
  else return new HttpError(417, "EXPECTATION_FAILED", "Unsupported expectation");
  return null;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let k = 0; k < s.length; k++) if (TCHAR[s.charCodeAt(k)] !== 1) return false;
  return true;
}

type LineCode = "BAD_METHOD" | "BAD_TARGET";

function badRequestLine(buf: Buffer, i: number, end: number, code: LineCode, message: string): HttpError {
  // A bare LF or CR inside the request line is a framing error of its own kind.
  if (buf[i] === LF) return new HttpError(400, "BARE_LF", "Line ends with LF without CR");
  if (i < end && buf[i] === CR && buf[i + 1] !== LF) return new HttpError(400, "BARE_CR", "CR not followed by LF");
  return new HttpError(400, code, message);
}

/**
 * Splits the target into path and query and recognises its form (RFC 9112 §3.2): origin-form,
 * absolute-form (http/https only; the authority becomes the host), asterisk-form for OPTIONS and
 * authority-form for CONNECT.
 */
export function parseTarget(
  buf: Buffer,
  start: number,
  end: number,
  method: string,
  into: RequestHead,
): HttpError | null {
  const first = buf[start]!;
  into.target = buf.toString("latin1", start, end);
  if (first === 0x2f && method !== "CONNECT") {
    return splitPathQuery(buf, start, end, into);
  }
  if (first === 0x2a) {
    if (end - start !== 1 || method !== "OPTIONS")
      return new HttpError(400, "BAD_TARGET", "Asterisk-form is only for OPTIONS");
    into.path = "*";
    into.query = "";
    return null;
  }
  if (method === "CONNECT") {
    // The host must not be empty (":443").
    if (
      !isValidHost(buf, start, end) ||
      first === 0x3a ||
      buf.indexOf(0x3a, start) === -1 ||
      buf.indexOf(0x3a, start) >= end
    ) {
      return new HttpError(400, "BAD_TARGET", "CONNECT needs host:port");
    }
    into.host = into.target;
    into.path = "";
    into.query = "";
    return null;
  }
  // absolute-form: scheme "://" authority path-abempty [ "?" query ]
  const t = into.target;
  const sep = t.indexOf("://");
  if (sep <= 0) return new HttpError(400, "BAD_TARGET", "Invalid request target");
  const scheme = t.slice(0, sep).toLowerCase();
  if (scheme !== "http" && scheme !== "https")
    return new HttpError(400, "BAD_TARGET", "Unsupported scheme in request target");
  const authStart = start + sep + 3;
  let authEnd = authStart;
  while (authEnd < end && buf[authEnd] !== 0x2f && buf[authEnd] !== 0x3f) authEnd++;
  // userinfo is deprecated and a known phishing vector (RFC 9110 §4.2.4): reject it.
  if (authEnd === authStart || (buf.indexOf(0x40, authStart) !== -1 && buf.indexOf(0x40, authStart) < authEnd)) {
    return new HttpError(400, "BAD_TARGET", "Invalid authority in request target");
  }
  // An http(s) URI with an empty host is invalid and must be rejected (RFC 9110 §4.2.1, §4.2.2).
  if (!isValidHost(buf, authStart, authEnd) || buf[authStart] === 0x3a) {
    return new HttpError(400, "BAD_TARGET", "Invalid authority in request target");
  }
  into.host = buf.toString("latin1", authStart, authEnd);
  into.absoluteForm = true;
  if (authEnd === end) {
    into.path = "/";
    into.query = "";
    return null;
  }
  if (buf[authEnd] === 0x3f) {
    into.path = "/";
    into.query = buf.toString("latin1", authEnd, end);
    return rejectFragment(into.query);
  }
  return splitPathQuery(buf, authEnd, end, into);
}

function splitPathQuery(buf: Buffer, start: number, end: number, into: RequestHead): HttpError | null {
  // One pass over the bytes finds the "?" and any "#": cheaper for short targets than native
  // searches plus string scans. A fragment is never part of a request-target (RFC 9112 §3.2).
  let q = -1;
  let prev = 0;
  let suspect = false;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x23) return new HttpError(400, "BAD_TARGET", "Fragment in request target");
    if (c === 0x3f && q === -1) q = i;
    // "/." or "/%" before the query: the path may hold a dot segment, plain or percent-encoded.
    if (prev === 0x2f && (c === 0x2e || c === 0x25) && q === -1) suspect = true;
    prev = c;
  }
  into.pathMayHaveDotSegment = suspect;
  if (q === -1) {
    into.path = into.absoluteForm ? buf.toString("latin1", start, end) : into.target;
    into.query = "";
  } else {
    into.path = buf.toString("latin1", start, q);
    into.query = buf.toString("latin1", q, end);
  }
  return null;
}

function rejectFragment(s: string): HttpError | null {
  return s.includes("#") ? new HttpError(400, "BAD_TARGET", "Fragment in request target") : null;
}

// RFC 3986 host = IP-literal / IPv4address / reg-name, then optional ":" port.
const REG_NAME = new Uint8Array(256);
for (const c of "-._~!$&'()*+,;=%") REG_NAME[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) REG_NAME[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) REG_NAME[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) REG_NAME[c] = 1;
const IP_LITERAL = new Uint8Array(256);
for (const c of "0123456789abcdefABCDEF:.vV-._~!$&'()*+,;=%") IP_LITERAL[c.charCodeAt(0)] = 1;

/** uri-host [ ":" port ] over buf[start, end); an empty value is valid (RFC 9110 §7.2). */
export function isValidHost(buf: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (i < end && buf[i] === 0x5b) {
    i++;
    while (i < end && IP_LITERAL[buf[i]!] === 1) i++;
    if (i >= end || buf[i] !== 0x5d || i === start + 1) return false;
    i++;
  } else {
    while (i < end && REG_NAME[buf[i]!] === 1) i++;
  }
  if (i === end) return true;
  if (buf[i] !== 0x3a) return false;
  i++;
  if (end - i > 5) return false;
  for (; i < end; i++) if (!isDigit(buf[i]!)) return false;
  return true;
}
