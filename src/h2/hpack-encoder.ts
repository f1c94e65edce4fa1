// HPACK encoding of response field blocks (RFC 7541 §6.2.2: literals without indexing). Like nginx,
// the encoder never inserts into the dynamic table, so a block depends on nothing the connection
// remembers: a prepared response's block is made once per Date second and reused on every connection
// and stream. Names are found in the static table or sent as (Huffman-coded) literals, lower-cased
// (RFC 9113 §8.2.1); what repeats — names, the defaults, Date, status codes — is encoded once and
// kept; per-response values are sent as they are, which costs a few bytes and spares a Huffman pass.
// Connection-specific fields are dropped (RFC 9113 §8.2.2). Pure: no I/O.

import { Buffer } from "node:buffer";
import { dateEpoch, httpDate } from "../common/clock.ts";
import { huffmanEncode, huffmanLength } from "./huffman.ts";
import { STATIC_TABLE } from "./hpack-table.ts";

/** Fields HTTP/2 does not carry (RFC 9113 §8.2.2). */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/** First static index of each name. */
const STATIC_NAME = new Map<string, number>();
for (let i = STATIC_TABLE.length - 1; i >= 0; i--) STATIC_NAME.set(STATIC_TABLE[i]![0], i + 1);

/** Static indices of `:status` values that have a full entry. */
const STATUS_INDEX: Readonly<Record<number, number>> = { 200: 8, 204: 9, 206: 10, 304: 11, 400: 12, 404: 13, 500: 14 };

const NAME_CONTENT_LENGTH = 28;
const NAME_STATUS = 8;

/**
 * The encoded start of a literal field without indexing for a name: its static index (4-bit prefix),
 * or a zero byte and the name as a string. Null for a name HTTP/2 must not carry.
 */
function encodeName(lower: string): Buffer | null {
  if (CONNECTION_SPECIFIC.has(lower)) return null;
  const index = STATIC_NAME.get(lower);
  if (index !== undefined) {
    const out = Buffer.allocUnsafe(6);
    return out.subarray(0, writeInteger(out, 0, 0x00, 4, index));
  }
  const bytes = Buffer.from(lower, "latin1");
  const out = Buffer.allocUnsafe(1 + 6 + bytes.length);
  out[0] = 0;
  return out.subarray(0, writeString(out, 1, bytes, 0, bytes.length, true));
}

/** Encoded name prefixes by name as handlers write it ("Content-Type"); bounded. */
const NAME_CODES = new Map<string, Buffer | null>();
const MAX_NAME_CODES = 1024;

function nameCode(name: string): Buffer | null {
  let code = NAME_CODES.get(name);
  if (code === undefined) {
    code = encodeName(name.toLowerCase());
    if (NAME_CODES.size >= MAX_NAME_CODES) NAME_CODES.clear();
    NAME_CODES.set(name, code);
  }
  return code;
}

// Names given as bytes (an upstream's field lines) are found without a string: a direct-mapped table
// keyed by a hash of the lower-cased name, each slot holding the name's bytes and its code.
const BYTE_SLOTS = 256;
const slotNames: Array<Uint8Array | null> = new Array<Uint8Array | null>(BYTE_SLOTS).fill(null);
const slotCodes: Array<Buffer | null> = new Array<Buffer | null>(BYTE_SLOTS).fill(null);

/** The name code (as nameCode) of the name raw[start, end), any case. */
function nameCodeOfBytes(raw: Uint8Array, start: number, end: number): Buffer | null {
  let hash = end - start;
  for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + (raw[i]! | 0x20)) | 0;
  const slot = (hash ^ (hash >>> 8)) & (BYTE_SLOTS - 1);
  const known = slotNames[slot];
  if (known !== null && known !== undefined && known.length === end - start) {
    let same = true;
    for (let i = 0; i < known.length; i++) {
      let c = raw[start + i]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (c !== known[i]) {
        same = false;
        break;
      }
    }
    if (same) return slotCodes[slot] ?? null;
  }
  let lower = "";
  for (let i = start; i < end; i++) lower += String.fromCharCode(raw[i]!);
  lower = lower.toLowerCase();
  const code = encodeName(lower);
  slotNames[slot] = Buffer.from(lower, "latin1");
  slotCodes[slot] = code;
  return code;
}

/** RFC 7541 §5.1: `value` with an N-bit prefix whose other bits are `high`; returns the index past it. */
export function writeInteger(out: Uint8Array, at: number, high: number, prefixBits: number, value: number): number {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    out[at] = high | value;
    return at + 1;
  }
  out[at++] = high | mask;
  value -= mask;
  while (value >= 0x80) {
    out[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at] = value;
  return at + 1;
}

/** RFC 7541 §5.2: a string literal, Huffman-coded when asked and shorter; returns the index past it. */
export function writeString(
  out: Uint8Array,
  at: number,
  src: Uint8Array,
  start: number,
  end: number,
  huffman: boolean,
): number {
  const length = end - start;
  if (huffman) {
    const coded = huffmanLength(src, start, end);
    if (coded < length) {
      at = writeInteger(out, at, 0x80, 7, coded);
      return huffmanEncode(src, start, end, out, at);
    }
  }
  at = writeInteger(out, at, 0x00, 7, length);
  for (let i = start; i < end; i++) out[at++] = src[i]!;
  return at;
}

/** `:status` encodings by code. */
const STATUS_CODES: Array<Buffer | undefined> = [];

function statusCode(status: number): Buffer {
  let code = STATUS_CODES[status];
  if (code === undefined) {
    const index = STATUS_INDEX[status];
    if (index !== undefined) code = Buffer.from([0x80 | index]);
    else {
      const digits = Buffer.from(String(status), "latin1");
      const out = Buffer.allocUnsafe(8);
      code = out.subarray(0, writeString(out, writeInteger(out, 0, 0x00, 4, NAME_STATUS), digits, 0, 3, false));
    }
    STATUS_CODES[status] = code;
  }
  return code;
}

let dateCodeEpoch = -1;
let dateCode: Buffer = Buffer.alloc(0);

/** `date: <now>` (RFC 9110 §6.6.1), encoded once a second. */
function currentDate(): Buffer {
  const epoch = dateEpoch();
  if (epoch !== dateCodeEpoch) {
    dateCodeEpoch = epoch;
    const value = Buffer.from(httpDate(), "latin1");
    const out = Buffer.allocUnsafe(64);
    dateCode = out.subarray(0, writeString(out, writeInteger(out, 0, 0x00, 4, 33), value, 0, value.length, true));
  }
  return dateCode;
}

/** Encoded default field lists, by the list (response-defaults.ts). */
const DEFAULT_CODES = new WeakMap<readonly string[], Buffer>();

/**
 * Assembles one field block at a time in a buffer the thread shares: begin(), fields, then bytes()
 * (valid until the next begin()).
 */
export class BlockWriter {
  #buf = Buffer.allocUnsafe(4096);
  #at = 0;

  begin(status: number, defaults: readonly string[]): void {
    this.#at = 0;
    this.#raw(statusCode(status));
    let code = DEFAULT_CODES.get(defaults);
    if (code === undefined) {
      const start = this.#at;
      for (let i = 0; i + 1 < defaults.length; i += 2) this.field(defaults[i]!, defaults[i + 1]!, true);
      code = Buffer.from(this.#buf.subarray(start, this.#at));
      DEFAULT_CODES.set(defaults, code);
    } else {
      this.#raw(code);
    }
    this.#raw(currentDate());
  }

  /** A block without status, defaults or Date: trailers (RFC 9113 §8.1). */
  beginTrailers(): void {
    this.#at = 0;
  }

  /** A field from a handler's list (checked by response.ts); `huffman` for values that will be reused. */
  field(name: string, value: string, huffman = false): void {
    const code = nameCode(name);
    if (code === null) return;
    this.#raw(code);
    const length = value.length;
    this.#room(6 + length);
    if (!huffman) {
      // latin1 is one byte per character, as HTTP/1.1 sends these values.
      this.#at = writeInteger(this.#buf, this.#at, 0x00, 7, length);
      this.#at += this.#buf.write(value, this.#at, length, "latin1");
      return;
    }
    const bytes = Buffer.from(value, "latin1");
    this.#at = writeString(this.#buf, this.#at, bytes, 0, bytes.length, true);
  }

  /** A field given as the bytes of an HTTP/1.1 line "Name: value" (an upstream's, already valid). */
  line(raw: Uint8Array, start: number, end: number): void {
    let colon = start;
    while (colon < end && raw[colon] !== 0x3a) colon++;
    let valueStart = colon + 1;
    while (valueStart < end && (raw[valueStart] === 0x20 || raw[valueStart] === 0x09)) valueStart++;
    let valueEnd = end;
    while (valueEnd > valueStart && (raw[valueEnd - 1] === 0x20 || raw[valueEnd - 1] === 0x09)) valueEnd--;
    const code = nameCodeOfBytes(raw, start, colon);
    if (code === null) return;
    this.#raw(code);
    this.#room(6 + valueEnd - valueStart);
    this.#at = writeString(this.#buf, this.#at, raw, valueStart, valueEnd, false);
  }

  contentLength(length: number): void {
    this.#room(24);
    this.#at = writeInteger(this.#buf, this.#at, 0x00, 4, NAME_CONTENT_LENGTH);
    const digits = String(length);
    this.#at = writeInteger(this.#buf, this.#at, 0x00, 7, digits.length);
    this.#at += this.#buf.write(digits, this.#at, digits.length, "latin1");
  }

  /** The block so far (a view, valid until the next begin()). */
  bytes(): Buffer {
    return this.#buf.subarray(0, this.#at);
  }

  #raw(code: Buffer): void {
    this.#room(code.length);
    this.#buf.set(code, this.#at);
    this.#at += code.length;
  }

  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + n));
    this.#buf.copy(bigger, 0, 0, this.#at);
    this.#buf = bigger;
  }
}

/** The thread's block writer. */
export const BLOCK = new BlockWriter();
