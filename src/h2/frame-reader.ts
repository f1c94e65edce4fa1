// The bytes a client sends, cut into HTTP/2 frames (RFC 9113 §4.1): first the connection preface
// (§3.4), then nine-byte headers and their payloads, whatever the read boundaries. A frame that
// straddles reads is kept as a copy until it is whole; a whole frame is handed on as a range of the
// read, never copied. Not here: what the frames mean (frame-dispatch.ts).

import { Buffer } from "node:buffer";
import { connectionError, type H2Error } from "./errors.ts";
import { DEFAULT_MAX_FRAME, FRAME_HEADER_BYTES, FRAME_SIZE_ERROR, PREFACE, PROTOCOL_ERROR, read31 } from "./frames.ts";

export interface FrameSink {
  /** One whole frame, its payload buf[start, end); false stops the reading (the connection is closing). */
  frame(buf: Buffer, start: number, end: number, type: number, flags: number, id: number): boolean;
}

export class FrameReader {
  /** Bytes of a frame (or the preface) that straddles reads: a copy. */
  #partial: Buffer | null = null;
  #prefaceSeen = false;

  /** The client's preface came whole. */
  get prefaceSeen(): boolean {
    return this.#prefaceSeen;
  }

  /** Cuts `chunk` into frames for `sink`; a connection error when the bytes break the framing itself. */
  read(chunk: Buffer, sink: FrameSink): H2Error | null {
    let buf = chunk;
    let pos = 0;
    if (this.#partial !== null) {
      buf = Buffer.concat([this.#partial, chunk]);
      this.#partial = null;
    }
    const end = buf.length;
    if (!this.#prefaceSeen) {
      const n = Math.min(end, PREFACE.length);
      if (buf.compare(PREFACE, 0, n, 0, n) !== 0) return connectionError(PROTOCOL_ERROR, "invalid connection preface");
      if (n < PREFACE.length) {
        this.#partial = Buffer.from(buf);
        return null;
      }
      pos = PREFACE.length;
      this.#prefaceSeen = true;
    }
    while (end - pos >= FRAME_HEADER_BYTES) {
      const length = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
      // RFC 9113 §4.2: we never raise SETTINGS_MAX_FRAME_SIZE above its default.
      if (length > DEFAULT_MAX_FRAME) return connectionError(FRAME_SIZE_ERROR, `frame of ${length} bytes`);
      if (end - pos < FRAME_HEADER_BYTES + length) break;
      const start = pos + FRAME_HEADER_BYTES;
      pos = start + length;
      if (!sink.frame(buf, start, pos, buf[start - 6]!, buf[start - 5]!, read31(buf, start - 4))) return null;
    }
    if (pos < end) this.#partial = Buffer.from(buf.subarray(pos, end));
    return null;
  }

  /** Nothing more is read: what straddled the last read is dropped. */
  clear(): void {
    this.#partial = null;
  }
}
