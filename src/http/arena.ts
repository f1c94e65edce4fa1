// The thread's I/O memory: one ArrayBuffer holding the read area that every transport of the thread
// reads into, and an output area where a small outgoing message (a proxied response with its body,
// an upstream request head) is assembled before it is written. Both areas live in one ArrayBuffer so
// bytes move from a read to an output with copyWithin, a plain memmove (~15 ns), where Buffer#copy
// between two buffers costs ~33 ns (a native call that looks up both ArrayBuffers); and since the
// kernel takes almost every write whole at once, the output area is free again right after the write,
// so no buffer is allocated per message.
//
// The rules that keep this safe:
// - A read view is valid only during the read callback (the next read overwrites it).
// - An output view is claimed by one writer at a time and is valid until it is written. A write the
//   kernel took whole frees the area; a write left pending in libuv pins it until it completes
//   (claims then get ordinary buffers); a write that has to wait (corked, held, still connecting) is
//   queued as a copy. transport.ts applies these; nothing else writes to libuv.
// Not here: sockets (transport.ts).

import { Buffer } from "node:buffer";
import { copyBytes } from "../common/bytes.ts";

export const READ_BYTES = 64 * 1024;
const OUT_BYTES = 64 * 1024;
const ARENA = Buffer.allocUnsafeSlow(READ_BYTES + OUT_BYTES);
/** The read area: handles read into it (useUserBuffer), one read at a time per thread. */
export const READ_AREA: Buffer = ARENA.subarray(0, READ_BYTES);
/** The read area as a DataView, for parsers that check four bytes at a time (offsets as in a read view). */
export const READ_WORDS = new DataView(ARENA.buffer, ARENA.byteOffset, READ_BYTES);

/**
 * Views of an area's first n bytes, by n, for n below VIEW_CACHE_BYTES: peers tend to send and get
 * the same sizes again and again, and a view is ~60 ns to make. Sharing a view is as safe as sharing
 * the bytes it shows. A longer view is made each time; the latest is remembered so it can be known.
 */
const VIEW_CACHE_BYTES = 2048;
const readViews: Array<Buffer | undefined> = new Array<Buffer | undefined>(VIEW_CACHE_BYTES).fill(undefined);
const outViews: Array<Buffer | undefined> = new Array<Buffer | undefined>(VIEW_CACHE_BYTES).fill(undefined);
let largeRead: Buffer | null = null;
let largeOut: Buffer | null = null;

/** The first n bytes of the read area: what a read of n bytes delivered. */
export function readView(n: number): Buffer {
  if (n >= VIEW_CACHE_BYTES) return (largeRead = ARENA.subarray(0, n));
  let view = readViews[n];
  if (view === undefined) readViews[n] = view = ARENA.subarray(0, n);
  return view;
}

/** True when `buf` is the view of the latest read (its offsets are the arena's). */
export function isReadView(buf: Buffer): boolean {
  return buf.length < VIEW_CACHE_BYTES ? readViews[buf.length] === buf : buf === largeRead;
}

/** Where a message is assembled: the socket it is written to next, before anything else is assembled. */
export interface OutputTarget {
  /** A buffer of n bytes for the message: the output area when the socket allows it, else a new one. */
  outputBuffer(n: number): Buffer;
}

/** Writes pending in libuv that hold the output area. */
let pinned = 0;
/** An output view was handed out and has not been written yet. */
let claimed = false;

/**
 * The output area's first n bytes to assemble a message in, or null when the area is taken (claimed
 * and not yet written, or held by a pending write) or too small. The caller fills it and writes it
 * through a Transport before the next claim; see the rules above.
 */
export function claimOutput(n: number): Buffer | null {
  if (claimed || pinned !== 0 || n > OUT_BYTES) return null;
  claimed = true;
  if (n >= VIEW_CACHE_BYTES) return (largeOut = ARENA.subarray(READ_BYTES, READ_BYTES + n));
  let view = outViews[n];
  if (view === undefined) outViews[n] = view = ARENA.subarray(READ_BYTES, READ_BYTES + n);
  return view;
}

/** True when `buf` is an output view (claimed and not yet written, by the rules). */
export function isOutputView(buf: Buffer): boolean {
  return buf.length < VIEW_CACHE_BYTES ? outViews[buf.length] === buf : buf === largeOut;
}

/** The claimed view reached the kernel whole, or was copied, or was dropped: the area is free. */
export function releaseOutput(): void {
  claimed = false;
}

/** The claimed view is held by a write pending in libuv: no claims until unpinOutput(). */
export function pinOutput(): void {
  claimed = false;
  pinned++;
}

export function unpinOutput(): void {
  pinned--;
}

/**
 * A claim left unwritten (a writer that threw) must not keep the area from use forever: a new read
 * callback starts with no claim, since a claim never lives across callbacks.
 */
export function resetClaim(): void {
  claimed = false;
}

/**
 * Copies src[start, end) into dst at `at` and returns the byte count: within the arena (a memmove)
 * when src is the latest read and dst an output view, else as copyBytes does.
 */
export function copyInto(src: Buffer, start: number, end: number, dst: Buffer, at: number): number {
  const n = end - start;
  if (n > 8 && isOutputView(dst) && isReadView(src)) {
    ARENA.copyWithin(READ_BYTES + at, start, end);
    return n;
  }
  return copyBytes(src, start, end, dst, at);
}
