// HPACK's tables and primitives (RFC 7541): the static table (Appendix A), the decoder's bounded
// dynamic table (§2.3.2, §4), and what a field's bytes say about it under HTTP/2's rules (lower-case
// token names, no NUL/CR/LF in values, no surrounding whitespace: RFC 9113 §8.2.1), worked out once
// per entry. Entries are kept as HTTP/1.1 field lines ("name: value") so a request head is rendered by
// copying them. Pure: no I/O.

import { Buffer } from "node:buffer";
import { FIELD_VALUE, TCHAR } from "../common/bytes.ts";

/** RFC 7541 Appendix A: index 1..61. */
export const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];
export const STATIC_COUNT = STATIC_TABLE.length;

/** RFC 7541 §4.1: an entry's size is its name and value lengths plus 32. */
export const ENTRY_OVERHEAD = 32;

/** What a field's bytes are, under RFC 9113 §8.2.1 and §8.3. */
export const K_PSEUDO = 0x1;
/** The name is not a lower-case token (or, after ':', lower-case letters). */
export const K_BAD_NAME = 0x2;
/** The value holds NUL, CR or LF. */
export const K_BAD_VALUE = 0x4;
/** The value starts or ends with SP or HTAB. */
export const K_SPACED_VALUE = 0x8;
/** The bytes are the decoder's scratch, overwritten by the next literal: copy what must be kept. */
export const K_TRANSIENT = 0x10;
/**
 * The value holds a control byte other than HTAB (or DEL): HTTP/2 lets it through, HTTP semantics
 * do not (RFC 9110 §5.5), and HTTP/1.1 answers 400 for it; so does HTTP/2 here.
 */
export const K_CTL_VALUE = 0x20;

/** Classifies line[start, nameEnd) as a name and line[valueStart, end) as its value. */
export function fieldKind(line: Uint8Array, start: number, nameEnd: number, valueStart: number, end: number): number {
  let kind = 0;
  let i = start;
  if (nameEnd === start) kind |= K_BAD_NAME;
  else if (line[start] === 0x3a) {
    kind |= K_PSEUDO;
    i++;
    if (i === nameEnd) kind |= K_BAD_NAME;
    for (; i < nameEnd; i++) {
      const c = line[i]!;
      if (c < 0x61 || c > 0x7a) kind |= K_BAD_NAME;
    }
  } else {
    for (; i < nameEnd; i++) {
      const c = line[i]!;
      if (TCHAR[c] === 0 || (c >= 0x41 && c <= 0x5a)) kind |= K_BAD_NAME;
    }
  }
  for (let j = valueStart; j < end; j++) {
    const c = line[j]!;
    if (FIELD_VALUE[c] === 1) continue;
    kind |= c === 0 || c === 0x0a || c === 0x0d ? K_BAD_VALUE : K_CTL_VALUE;
  }
  if (end > valueStart) {
    const first = line[valueStart]!;
    const last = line[end - 1]!;
    if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) kind |= K_SPACED_VALUE;
  }
  return kind;
}

/** One table entry as the HTTP/1.1 line "name: value" (no CRLF). */
export class TableEntry {
  readonly line: Buffer;
  readonly nameLength: number;
  readonly kind: number;
  /** name + value + 32 (RFC 7541 §4.1). */
  readonly size: number;

  constructor(line: Buffer, nameLength: number) {
    this.line = line;
    this.nameLength = nameLength;
    this.kind = fieldKind(line, 0, nameLength, nameLength + 2, line.length);
    this.size = line.length - 2 + ENTRY_OVERHEAD;
  }
}

export const STATIC_ENTRIES: readonly TableEntry[] = STATIC_TABLE.map(
  ([name, value]) => new TableEntry(Buffer.from(`${name}: ${value}`, "latin1"), name.length),
);

/**
 * The decoder's dynamic table (RFC 7541 §2.3.2): newest entry first (index 62), evicted oldest first
 * whenever the sum of entry sizes would pass the maximum.
 */
export class DynamicTable {
  /** Oldest first; entries before #first are evicted. */
  #entries: TableEntry[] = [];
  #first = 0;
  size = 0;
  maxSize: number;

  constructor(maxSize: number) {
    this.maxSize = maxSize;
  }

  get length(): number {
    return this.#entries.length - this.#first;
  }

  /** Entry `i` counted from the newest (0); undefined past the end. */
  get(i: number): TableEntry | undefined {
    const at = this.#entries.length - 1 - i;
    return at >= this.#first ? this.#entries[at] : undefined;
  }

  /** Adds an entry, evicting as needed; an entry larger than the table empties it (§4.4). */
  add(entry: TableEntry): void {
    this.#evictTo(this.maxSize - entry.size);
    if (entry.size > this.maxSize) return;
    this.#entries.push(entry);
    this.size += entry.size;
  }

  resize(maxSize: number): void {
    this.maxSize = maxSize;
    this.#evictTo(maxSize);
  }

  #evictTo(limit: number): void {
    const entries = this.#entries;
    while (this.size > limit && this.#first < entries.length) this.size -= entries[this.#first++]!.size;
    if (this.#first > 32 && this.#first * 2 > entries.length) {
      this.#entries = entries.slice(this.#first);
      this.#first = 0;
    }
  }
}
