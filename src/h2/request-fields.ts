// Fills a request head (http/request-head.ts) from a stream's decoded field block, as the engine's
// HTTP/1.1 parser fills it from received bytes: the head's bytes are the HTTP/1.1 form of the block
// ("METHOD :path HTTP/1.1", the fields as lines, cookie crumbs joined into one line, RFC 9113 §8.2.3,
// Host from :authority, §8.3.1), and its field offsets point into them, so handlers' lookups and the
// proxy's copied lines work unchanged. The checks after the fields are parse-request.ts's own (target,
// Host, Content-Length, Expect, limits), so both protocols judge a head alike. HTTP/2's own rules
// (lower-case names, pseudo-header fields first and once each, no connection-specific fields, TE only
// "trailers", §8.2–§8.3) make a request malformed: a stream error. Also the sink for trailers. Pure.

import { Buffer } from "node:buffer";
import { copyAll, copyBytes, equalsLowerAscii, TARGET_CHAR, TCHAR } from "../common/bytes.ts";
import { HttpError } from "../http/errors.ts";
import {
  F_CONNECTION,
  F_CONTENT_LENGTH,
  F_EXPECT,
  F_HOST,
  F_TRANSFER_ENCODING,
  F_UPGRADE,
  identifyField,
} from "../http/headers.ts";
import {
  checkContentLength,
  checkExpect,
  checkHost,
  internMethod,
  type ParseLimits,
  parseTarget,
} from "../http/parse-request.ts";
import type { RequestHead } from "../http/request-head.ts";
import type { FieldSink } from "./hpack-decoder.ts";
import { K_BAD_NAME, K_BAD_VALUE, K_CTL_VALUE, K_PSEUDO, K_SPACED_VALUE, K_TRANSIENT } from "./hpack-table.ts";

const F_TE = identifyField(Buffer.from("te"), 0, 2);
const F_KEEP_ALIVE = identifyField(Buffer.from("keep-alive"), 0, 10);
const F_PROXY_CONNECTION = identifyField(Buffer.from("proxy-connection"), 0, 16);
const F_COOKIE = identifyField(Buffer.from("cookie"), 0, 6);

const P_METHOD = 0;
const P_SCHEME = 1;
const P_AUTHORITY = 2;
const P_PATH = 3;
const PSEUDO_NAMES = [":method", ":scheme", ":authority", ":path"];

const HTTP11 = Buffer.from(" HTTP/1.1\r\n", "latin1");
// The heads of a session's requests share buffers of this size (a long request keeps one alive: at
// most this much per open stream); larger heads get their own.
const ARENA_BYTES = 16 * 1024;
const COOKIE = Buffer.from("cookie: ", "latin1");
const HOST = Buffer.from("host: ", "latin1");

/** Fills one request head at a time (one object per session, reused). */
export class RequestFields implements FieldSink {
  /** Why the request is malformed (a stream error), or "" when it is not. */
  malformed = "";
  #head: RequestHead | null = null;
  #limits: ParseLimits | null = null;
  /** The head's bytes as they are rendered; copied out at the end. */
  #out = Buffer.allocUnsafe(1024);
  #at = 0;
  /**
   * Pseudo-header values as byte ranges (no strings): #pseudoIn[p] holds them at #pseudoAt[2p, 2p+1],
   * a table entry's line itself (stable while the block is decoded) or, for a literal, a copy in
   * #pseudoCopy. Null when absent.
   */
  readonly #pseudoIn: Array<Buffer | null> = [null, null, null, null];
  readonly #pseudoAt = new Int32Array(8);
  #pseudoCopy = Buffer.allocUnsafe(1024);
  #copied = 0;
  #lineWritten = false;
  /** Where the request line's method and target end in #out. */
  #methodEnd = 0;
  #targetEnd = 0;
  #hostIndex = -1;
  #lengthIndex = -1;
  #expectSeen = false;
  #count = 0;
  #cookies: string | null = null;
  /** Finished heads, one after the other; a new one when full (the old stays with its requests). */
  #arena = Buffer.allocUnsafe(ARENA_BYTES);
  #arenaUsed = 0;
  /** The first problem HTTP/1.1 would answer with a status (400, 431). */
  #error: HttpError | null = null;

  begin(head: RequestHead, limits: ParseLimits): void {
    this.malformed = "";
    this.#head = head;
    this.#limits = limits;
    this.#at = 0;
    this.#copied = 0;
    const pseudo = this.#pseudoIn;
    pseudo[0] = null;
    pseudo[1] = null;
    pseudo[2] = null;
    pseudo[3] = null;
    this.#lineWritten = false;
    this.#hostIndex = -1;
    this.#lengthIndex = -1;
    this.#expectSeen = false;
    this.#count = 0;
    this.#cookies = null;
    this.#error = null;
  }

  field(line: Buffer, start: number, nameEnd: number, end: number, kind: number): void {
    if (this.malformed !== "") return;
    const valueStart = nameEnd + 2;
    if ((kind & (K_BAD_NAME | K_BAD_VALUE | K_SPACED_VALUE)) !== 0) {
      this.malformed =
        (kind & K_BAD_NAME) !== 0
          ? "invalid field name"
          : (kind & K_BAD_VALUE) !== 0
            ? "NUL, CR or LF in a field value"
            : "whitespace around a field value";
      return;
    }
    if ((kind & K_PSEUDO) !== 0) {
      this.#pseudo(line, start, nameEnd, end, kind);
      return;
    }
    if (!this.#lineWritten && !this.#requestLine()) return;
    const id = identifyField(line, start, nameEnd);
    if (id !== -1) {
      if (
        id === F_CONNECTION ||
        id === F_KEEP_ALIVE ||
        id === F_PROXY_CONNECTION ||
        id === F_TRANSFER_ENCODING ||
        id === F_UPGRADE
      ) {
        this.malformed = `connection-specific field ${line.toString("latin1", start, nameEnd)}`;
        return;
      }
      if (id === F_TE && !equalsLowerAscii(line, valueStart, end, "trailers")) {
        this.malformed = 'TE other than "trailers"';
        return;
      }
      if (id === F_COOKIE) {
        const crumb = line.toString("latin1", valueStart, end);
        this.#cookies = this.#cookies === null ? crumb : `${this.#cookies}; ${crumb}`;
        this.#count++;
        return;
      }
    }
    if ((kind & K_CTL_VALUE) !== 0) this.#fail(400, "BAD_HEADER_VALUE", "Invalid byte in field value");
    const at = this.#at;
    this.#append(line, start, end);
    this.#crlf();
    this.#record(at, at + (nameEnd - start), id);
  }

  /**
   * Completes the head once the block is decoded: null when it is fine or malformed (`malformed`
   * says which), else the HttpError to answer with, as HTTP/1.1 would.
   */
  finish(): HttpError | null {
    if (this.malformed !== "") return null;
    if (!this.#lineWritten && !this.#requestLine()) return null;
    const head = this.#head!;
    const limits = this.#limits!;
    if (this.#cookies !== null) {
      const at = this.#at;
      this.#append(COOKIE, 0, COOKIE.length);
      this.#text(this.#cookies);
      this.#crlf();
      this.#record(at, at + 6, F_COOKIE);
    }
    const authorityIn = this.#pseudoIn[P_AUTHORITY] ?? null;
    if (authorityIn !== null) {
      const authority = this.#pseudoAt[P_AUTHORITY * 2]!;
      const authorityEnd = this.#pseudoAt[P_AUTHORITY * 2 + 1]!;
      if (this.#hostIndex !== -1) {
        // RFC 9113 §8.3.1: a Host naming another entity than :authority makes the request malformed.
        const f = head.fields;
        const i = this.#hostIndex;
        if (!sameIgnoringCase(this.#out, f[i + 2]!, f[i + 3]!, authorityIn, authority, authorityEnd)) {
          this.malformed = "Host differs from :authority";
          return null;
        }
      } else {
        const at = this.#at;
        this.#append(HOST, 0, HOST.length);
        this.#append(authorityIn, authority, authorityEnd);
        this.#crlf();
        this.#record(at, at + 4, F_HOST);
      }
    }
    this.#crlf();
    // The finished head moves to the arena the session's requests share (no buffer per request); its
    // offsets move with it.
    const size = this.#at;
    let raw: Buffer;
    let base = 0;
    if (size > ARENA_BYTES / 4) raw = Buffer.allocUnsafe(size);
    else {
      if (this.#arenaUsed + size > ARENA_BYTES) {
        this.#arena = Buffer.allocUnsafe(ARENA_BYTES);
        this.#arenaUsed = 0;
      }
      raw = this.#arena;
      base = this.#arenaUsed;
      this.#arenaUsed += size;
    }
    copyBytes(this.#out, 0, size, raw, base);
    if (base !== 0) {
      const f = head.fields;
      for (let k = 0; k < f.length; k += 5) {
        f[k] = f[k]! + base;
        f[k + 1] = f[k + 1]! + base;
        f[k + 2] = f[k + 2]! + base;
        f[k + 3] = f[k + 3]! + base;
      }
    }
    head.raw = raw;
    head.headStart = base;
    head.lineStart = base;
    head.headEnd = base + size;
    head.versionMajor = 2;
    head.versionMinor = 0;
    head.keepAlive = true;
    // The request line's checks, as parse-request.ts makes them.
    const methodEnd = base + this.#methodEnd;
    for (let m = base; m < methodEnd; m++)
      if (TCHAR[raw[m]!] !== 1) return new HttpError(400, "BAD_METHOD", "Invalid method");
    head.method = internMethod(raw, base, methodEnd);
    const targetStart = methodEnd + 1;
    const targetEnd = base + this.#targetEnd;
    for (let t = targetStart; t < targetEnd; t++)
      if (TARGET_CHAR[raw[t]!] !== 1) return new HttpError(400, "BAD_TARGET", "Invalid request target");
    head.targetEnd = targetEnd;
    if (targetEnd - base + 9 > limits.maxRequestLineBytes)
      return new HttpError(414, "URI_TOO_LONG", "Request line too long");
    if (this.#error !== null) return this.#error;
    if (this.#count > limits.maxHeaderCount) return new HttpError(431, "TOO_MANY_HEADERS", "Too many header fields");
    if (size > limits.maxHeaderBytes) return new HttpError(431, "HEADERS_TOO_LARGE", "Header section too large");
    const targetError = parseTarget(raw, targetStart, targetEnd, head.method, head);
    if (targetError !== null) return targetError;
    const hostError = checkHost(raw, head, this.#hostIndex, limits.requireHost);
    if (hostError !== null) return hostError;
    if (this.#lengthIndex !== -1) {
      const lengthError = checkContentLength(raw, head);
      if (lengthError !== null) return lengthError;
    }
    return this.#expectSeen ? checkExpect(head, true) : null;
  }

  /** A field line just written at out[at, ...): its offsets (as parse-request.ts records them). */
  #record(at: number, nameEnd: number, id: number): void {
    const fields = this.#head!.fields;
    this.#count++;
    fields.push(at, nameEnd, nameEnd + 2, this.#at - 2, id);
    if (id === F_HOST) {
      if (this.#hostIndex !== -1) this.#fail(400, "DUPLICATE_HOST", "More than one Host field");
      else this.#hostIndex = fields.length - 5;
    } else if (id === F_CONTENT_LENGTH) this.#lengthIndex = fields.length - 5;
    else if (id === F_EXPECT) this.#expectSeen = true;
  }

  #fail(status: number, code: "BAD_HEADER_VALUE" | "DUPLICATE_HOST", message: string): void {
    this.#error ??= new HttpError(status, code, message);
  }

  #pseudo(line: Buffer, start: number, nameEnd: number, end: number, kind: number): void {
    if (this.#lineWritten) {
      this.malformed = "pseudo-header field after a regular field";
      return;
    }
    const which = pseudoIndex(line, start, nameEnd);
    if (which === -1) {
      // :status (a response field), :protocol (extended CONNECT is not enabled) or unknown.
      this.malformed = `pseudo-header field ${line.toString("latin1", start, nameEnd)} not allowed`;
      return;
    }
    if (this.#pseudoIn[which] !== null) {
      this.malformed = `${PSEUDO_NAMES[which]} repeated`;
      return;
    }
    const valueStart = nameEnd + 2;
    if ((kind & K_CTL_VALUE) !== 0) this.#fail(400, "BAD_HEADER_VALUE", "Invalid byte in field value");
    if ((kind & K_TRANSIENT) === 0) {
      this.#pseudoIn[which] = line;
      this.#pseudoAt[which * 2] = valueStart;
      this.#pseudoAt[which * 2 + 1] = end;
      return;
    }
    const n = end - valueStart;
    if (this.#copied + n > this.#pseudoCopy.length) {
      // Earlier copies stay where they are: the old buffer is still referenced by them.
      this.#pseudoCopy = Buffer.allocUnsafe(Math.max(1024, n));
      this.#copied = 0;
    }
    copyBytes(line, valueStart, end, this.#pseudoCopy, this.#copied);
    this.#pseudoIn[which] = this.#pseudoCopy;
    this.#pseudoAt[which * 2] = this.#copied;
    this.#copied += n;
    this.#pseudoAt[which * 2 + 1] = this.#copied;
  }

  /** The request line from the pseudo-header fields, once they are all in (RFC 9113 §8.3.1). */
  #requestLine(): boolean {
    const at = this.#pseudoAt;
    const methodIn = this.#pseudoIn[P_METHOD] ?? null;
    const pathIn = this.#pseudoIn[P_PATH] ?? null;
    const authorityIn = this.#pseudoIn[P_AUTHORITY] ?? null;
    const hasScheme = this.#pseudoIn[P_SCHEME] !== null;
    if (methodIn === null) {
      this.malformed = ":method missing";
      return false;
    }
    const method = at[P_METHOD * 2]!;
    const methodEnd = at[P_METHOD * 2 + 1]!;
    let targetIn: Buffer;
    let target: number;
    let targetEnd: number;
    if (equalsBytes(methodIn, method, methodEnd, "CONNECT")) {
      // RFC 9113 §8.5: :authority only.
      if (hasScheme || pathIn !== null || authorityIn === null) {
        this.malformed = "CONNECT needs :authority alone";
        return false;
      }
      targetIn = authorityIn;
      target = at[P_AUTHORITY * 2]!;
      targetEnd = at[P_AUTHORITY * 2 + 1]!;
    } else {
      if (!hasScheme || pathIn === null) {
        this.malformed = hasScheme ? ":path missing" : ":scheme missing";
        return false;
      }
      targetIn = pathIn;
      target = at[P_PATH * 2]!;
      targetEnd = at[P_PATH * 2 + 1]!;
      const first = pathIn[target];
      const asterisk = targetEnd - target === 1 && first === 0x2a;
      if (
        targetEnd === target ||
        (first !== 0x2f && !(asterisk && equalsBytes(methodIn, method, methodEnd, "OPTIONS")))
      ) {
        this.malformed = "invalid :path";
        return false;
      }
    }
    if (authorityIn !== null) {
      for (let i = at[P_AUTHORITY * 2]!; i < at[P_AUTHORITY * 2 + 1]!; i++) {
        if (authorityIn[i] === 0x40) {
          this.malformed = ":authority with userinfo";
          return false;
        }
      }
    }
    this.#lineWritten = true;
    this.#append(methodIn, method, methodEnd);
    this.#methodEnd = this.#at;
    this.#room(1);
    this.#out[this.#at++] = 0x20;
    this.#append(targetIn, target, targetEnd);
    this.#targetEnd = this.#at;
    this.#append(HTTP11, 0, HTTP11.length);
    return true;
  }

  #append(src: Buffer, start: number, end: number): void {
    this.#room(end - start);
    if (start === 0 && end === src.length) copyAll(src, this.#out, this.#at);
    else copyBytes(src, start, end, this.#out, this.#at);
    this.#at += end - start;
  }

  #text(s: string): void {
    this.#room(s.length);
    this.#at += this.#out.write(s, this.#at, "latin1");
  }

  #crlf(): void {
    this.#room(2);
    this.#out[this.#at++] = 0x0d;
    this.#out[this.#at++] = 0x0a;
  }

  #room(n: number): void {
    if (this.#at + n <= this.#out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#out.length * 2, this.#at + n));
    copyBytes(this.#out, 0, this.#at, bigger, 0);
    this.#out = bigger;
  }
}

/** Which pseudo-header field line[start, nameEnd) names (P_*), or -1. */
function pseudoIndex(line: Buffer, start: number, nameEnd: number): number {
  let which: number;
  switch (nameEnd - start) {
    case 5:
      which = P_PATH;
      break;
    case 10:
      which = P_AUTHORITY;
      break;
    case 7:
      which = line[start + 1] === 0x6d ? P_METHOD : P_SCHEME;
      break;
    default:
      return -1;
  }
  return equalsBytes(line, start, nameEnd, PSEUDO_NAMES[which]!) ? which : -1;
}

/** buf[start, end) is exactly `text`. */
function equalsBytes(buf: Buffer, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** a[aStart, aEnd) and b[bStart, bEnd) are the same ASCII, case aside. */
function sameIgnoringCase(a: Buffer, aStart: number, aEnd: number, b: Buffer, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) {
    let x = a[aStart + i]!;
    let y = b[bStart + i]!;
    if (x >= 0x41 && x <= 0x5a) x |= 0x20;
    if (y >= 0x41 && y <= 0x5a) y |= 0x20;
    if (x !== y) return false;
  }
  return true;
}

/** Collects a trailer block as HTTP/1.1 field lines ("name: value"), as BodySink.end receives them. */
export class TrailerFields implements FieldSink {
  lines: string[] = [];
  malformed = "";

  begin(): void {
    this.lines = [];
    this.malformed = "";
  }

  field(line: Buffer, start: number, nameEnd: number, end: number, kind: number): void {
    if (this.malformed !== "") return;
    // RFC 9113 §8.1: trailers carry no pseudo-header fields.
    if ((kind & (K_PSEUDO | K_BAD_NAME | K_BAD_VALUE | K_SPACED_VALUE)) !== 0) {
      this.malformed = "invalid trailer field";
      return;
    }
    const id = identifyField(line, start, nameEnd);
    if (id === F_CONNECTION || id === F_TRANSFER_ENCODING || id === F_UPGRADE || id === F_KEEP_ALIVE) {
      this.malformed = "connection-specific trailer field";
      return;
    }
    this.lines.push(line.toString("latin1", start, end));
  }
}
