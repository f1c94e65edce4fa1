// A field block as it arrives: one HEADERS frame and the CONTINUATION frames after it on the same
// stream, nothing else in between (RFC 9113 §4.3, §6.2, §6.10), with padding and priority stripped.
// Bounded against CONTINUATION floods (CVE-2024-27316 and kin): at most so many frames and so many
// encoded bytes per block, past which the connection is cut. Pure: no I/O.

import { Buffer } from "node:buffer";
import { connectionError, type H2Error } from "./errors.ts";
import {
  ENHANCE_YOUR_CALM,
  FLAG_END_HEADERS,
  FLAG_END_STREAM,
  FLAG_PADDED,
  FLAG_PRIORITY,
  FRAME_SIZE_ERROR,
  PROTOCOL_ERROR,
  paddedEnd,
  read31,
} from "./frames.ts";

/** The block is complete: `bytes[start, end)`. */
export const BLOCK_READY = 0;
/** CONTINUATION frames are expected. */
export const BLOCK_PENDING = 1;
/** As BLOCK_PENDING, and the frame carried nothing (the session counts it as a cheap frame). */
export const BLOCK_EMPTY = 2;

export class FieldBlocks {
  /** The stream whose block is being assembled; 0 when none is. */
  stream = 0;
  /** The block's HEADERS frame ended the stream. */
  endStream = false;
  /** The HEADERS frame's priority made the stream depend on itself (a stream error, §5.3.1). */
  badPriority = false;
  /** When the block's first frame came (for the headers timeout). */
  startedAt = 0;
  /** The complete block when BLOCK_READY, on stream `readyStream`: a view of the frame when it came whole, else a copy. */
  readyStream = 0;
  bytes: Buffer = EMPTY;
  start = 0;
  end = 0;
  #parts: Buffer[] = [];
  #size = 0;
  #frames = 0;
  readonly #maxFrames: number;
  readonly #maxBytes: number;

  constructor(maxFrames: number, maxBytes: number) {
    this.#maxFrames = maxFrames;
    this.#maxBytes = maxBytes;
  }

  headers(buf: Buffer, start: number, end: number, flags: number, id: number, now: number): H2Error | number {
    if (id === 0) return connectionError(PROTOCOL_ERROR, "HEADERS on stream 0");
    let contentEnd = paddedEnd(buf, start, end, flags);
    if (contentEnd < 0) return connectionError(PROTOCOL_ERROR, "invalid padding");
    let at = (flags & FLAG_PADDED) !== 0 ? start + 1 : start;
    this.badPriority = false;
    if ((flags & FLAG_PRIORITY) !== 0) {
      if (contentEnd - at < 5) return connectionError(FRAME_SIZE_ERROR, "HEADERS too short for its priority");
      this.badPriority = read31(buf, at) === id;
      at += 5;
    }
    if (contentEnd < at) contentEnd = at;
    this.endStream = (flags & FLAG_END_STREAM) !== 0;
    if ((flags & FLAG_END_HEADERS) !== 0) {
      this.readyStream = id;
      this.bytes = buf;
      this.start = at;
      this.end = contentEnd;
      return BLOCK_READY;
    }
    // The block goes on in CONTINUATION frames: keep a copy (reads are reused).
    this.stream = id;
    this.#parts = [Buffer.from(buf.subarray(at, contentEnd))];
    this.#size = contentEnd - at;
    this.#frames = 1;
    this.startedAt = now;
    return at === contentEnd ? BLOCK_EMPTY : BLOCK_PENDING;
  }

  continuation(buf: Buffer, start: number, end: number, flags: number, id: number): H2Error | number {
    if (this.stream === 0 || id !== this.stream)
      return connectionError(PROTOCOL_ERROR, "CONTINUATION without a field block");
    if (++this.#frames > this.#maxFrames) return connectionError(ENHANCE_YOUR_CALM, "too many CONTINUATION frames");
    this.#size += end - start;
    if (this.#size > this.#maxBytes) return connectionError(ENHANCE_YOUR_CALM, "field block too large");
    if (end > start) this.#parts.push(Buffer.from(buf.subarray(start, end)));
    if ((flags & FLAG_END_HEADERS) === 0) return BLOCK_PENDING;
    const parts = this.#parts;
    this.#parts = [];
    this.stream = 0;
    this.readyStream = id;
    this.bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.start = 0;
    this.end = this.bytes.length;
    return BLOCK_READY;
  }
}

const EMPTY = Buffer.alloc(0);
