// A session's outgoing bytes between two writes: frames are appended as they are made (headers and
// small payloads copied into a buffer, large payloads kept by reference), and the whole batch goes to
// the transport in one write (or one writev) when the session flushes — once per read callback, or at
// the end of the microtask queue for frames made elsewhere. The buffer is reused once the transport
// has handed a batch to the kernel. Not here: what the frames say (session.ts, stream.ts).

import { Buffer } from "node:buffer";
import { copyAll, copyBytes } from "../common/bytes.ts";
import { FRAME_HEADER_BYTES, writeFrameHeader } from "./frames.ts";

/** What the output needs of a transport. */
export interface OutputTransport {
  write(data: Buffer): boolean;
  cork(): void;
  uncork(): void;
  readonly flushed: boolean;
  readonly needDrain: boolean;
}

const BUFFER_BYTES = 16 * 1024;
/** Payloads up to this size are copied (one write beats an extra iovec); larger ones are referenced. */
const COPY_BYTES = 2048;

export class FrameOutput {
  #buf = Buffer.allocUnsafe(BUFFER_BYTES);
  #at = 0;
  /** Start in #buf of the bytes not yet in #parts. */
  #segment = 0;
  #parts: Buffer[] = [];
  /** Bytes appended since the last flush. */
  pending = 0;

  get empty(): boolean {
    return this.pending === 0;
  }

  frameHeader(length: number, type: number, flags: number, stream: number): void {
    this.#room(FRAME_HEADER_BYTES);
    writeFrameHeader(this.#buf, this.#at, length, type, flags, stream);
    this.#at += FRAME_HEADER_BYTES;
    this.pending += FRAME_HEADER_BYTES;
  }

  /** Appends src[start, end): copied, or by reference when large and `keep` allows it. */
  bytes(src: Buffer, start: number, end: number, mayReference: boolean): void {
    const n = end - start;
    if (n === 0) return;
    this.pending += n;
    if (n > COPY_BYTES && mayReference) {
      this.#closeSegment();
      this.#parts.push(start === 0 && end === src.length ? src : src.subarray(start, end));
      return;
    }
    this.#room(n);
    if (start === 0 && end === src.length) copyAll(src, this.#buf, this.#at);
    else copyBytes(src, start, end, this.#buf, this.#at);
    this.#at += n;
  }

  /** Writes everything appended so far; returns the transport's verdict (false: wait for drain). */
  flush(transport: OutputTransport): boolean {
    if (this.pending === 0) return true;
    this.#closeSegment();
    const parts = this.#parts;
    this.#parts = [];
    this.pending = 0;
    if (parts.length === 1) transport.write(parts[0]!);
    else {
      transport.cork();
      for (let i = 0; i < parts.length; i++) transport.write(parts[i]!);
      transport.uncork();
    }
    // The kernel took it all: the buffer may be filled again from its start. Otherwise libuv still
    // points into it, and the next frames go into a fresh one.
    if (transport.flushed) {
      this.#at = 0;
      this.#segment = 0;
    } else {
      this.#buf = Buffer.allocUnsafe(BUFFER_BYTES);
      this.#at = 0;
      this.#segment = 0;
    }
    return !transport.needDrain;
  }

  #closeSegment(): void {
    if (this.#at > this.#segment) {
      this.#parts.push(this.#buf.subarray(this.#segment, this.#at));
      this.#segment = this.#at;
    }
  }

  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    this.#closeSegment();
    this.#buf = Buffer.allocUnsafe(Math.max(BUFFER_BYTES, n));
    this.#at = 0;
    this.#segment = 0;
  }
}
