// The sending half of an HTTP/2 connection: frames the streams' responses as the peer's connection and
// stream windows allow (RFC 9113 §6.9, §5.2), HEADERS with CONTINUATION past the peer's frame size,
// END_STREAM on the last frame, trailers, resets; streams waiting for a window take turns a frame at a
// time when it opens, so one large response cannot starve the others. Everything goes through one
// FrameOutput, flushed once per batch; a transport over its high-water mark stops the framing (the
// rest waits in the streams, bounded by their high-water marks) until it drains.
// Not here: reading frames, settings, streams' life (session.ts), what a response says (stream.ts).

import { Buffer } from "node:buffer";
import {
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  FLAG_END_HEADERS,
  FLAG_END_STREAM,
  MAX_WINDOW,
  T_CONTINUATION,
  T_DATA,
  T_HEADERS,
  T_RST_STREAM,
  T_WINDOW_UPDATE,
} from "./frames.ts";
import { FrameOutput, type OutputTransport } from "./output.ts";
import type { H2Stream } from "./stream.ts";
import { END_CUT, END_NONE, END_TRAILERS } from "./stream-host.ts";

/** Output not yet flushed past which framing waits (a batch is at most about this big). */
const OUTPUT_HIGH_WATER = 256 * 1024;

export class Sender {
  readonly output = new FrameOutput();
  readonly #transport: OutputTransport;
  /** The peer's window for the whole connection. */
  connWindow = DEFAULT_WINDOW;
  /** The peer's SETTINGS_MAX_FRAME_SIZE. */
  maxFrame = DEFAULT_MAX_FRAME;
  /** Streams with bytes waiting for a window or for the transport, in turn order. */
  #waiting: H2Stream[] = [];
  /** Streams whose writers may want to hear that they can go on, checked after each flush. */
  #drainCheck: H2Stream[] = [];
  /** Called when a stream's END_STREAM went out. */
  readonly #ended: (stream: H2Stream) => void;

  constructor(transport: OutputTransport, ended: (stream: H2Stream) => void) {
    this.#transport = transport;
    this.#ended = ended;
  }

  /** The transport (or this batch) is over its high-water mark: framing waits. */
  get backedUp(): boolean {
    return this.#transport.needDrain || this.output.pending > OUTPUT_HIGH_WATER;
  }

  /** Every byte framed so far has reached the kernel. */
  get flushed(): boolean {
    return this.output.empty && this.#transport.flushed;
  }

  get waitingCount(): number {
    return this.#waiting.length;
  }

  headers(stream: H2Stream, block: Buffer, endStream: boolean): void {
    const id = stream.id;
    const max = this.maxFrame;
    const out = this.output;
    if (block.length <= max) {
      out.frameHeader(block.length, T_HEADERS, FLAG_END_HEADERS | (endStream ? FLAG_END_STREAM : 0), id);
      out.bytes(block, 0, block.length, false);
    } else {
      out.frameHeader(max, T_HEADERS, endStream ? FLAG_END_STREAM : 0, id);
      out.bytes(block, 0, max, false);
      for (let at = max; at < block.length; at += max) {
        const n = Math.min(max, block.length - at);
        out.frameHeader(n, T_CONTINUATION, at + n === block.length ? FLAG_END_HEADERS : 0, id);
        out.bytes(block, at, at + n, false);
      }
    }
    if (endStream) this.#ended(stream);
  }

  rst(streamId: number, code: number): void {
    this.output.frameHeader(4, T_RST_STREAM, 0, streamId);
    this.#word(code);
  }

  windowUpdate(streamId: number, increment: number): void {
    this.output.frameHeader(4, T_WINDOW_UPDATE, 0, streamId);
    this.#word(increment);
  }

  raw(bytes: Buffer): void {
    this.output.bytes(bytes, 0, bytes.length, false);
  }

  /** Frames as much of the stream's queue as the windows allow; the rest waits its turn. */
  pump(stream: H2Stream): void {
    if (stream.reset) return;
    while (stream.queued > 0) {
      if (this.backedUp || !this.#frame(stream, stream.queued)) {
        this.#wait(stream);
        return;
      }
    }
    this.#end(stream);
  }

  /** Windows opened or the transport drained: waiting streams take turns, a frame each per round. */
  resume(): void {
    let waiting = this.#waiting;
    while (waiting.length > 0 && this.connWindow > 0 && !this.backedUp) {
      this.#waiting = [];
      for (let i = 0; i < waiting.length; i++) {
        const stream = waiting[i]!;
        stream.waiting = false;
        if (stream.reset) continue;
        if (stream.queued > 0 && !this.backedUp) this.#frame(stream, this.maxFrame);
        if (stream.queued > 0) this.#wait(stream);
        else this.#end(stream);
      }
      if (this.#waiting.length === waiting.length && this.#waiting.every((s) => s.sendWindow <= 0)) break;
      waiting = this.#waiting;
    }
  }

  /** The peer changed SETTINGS_INITIAL_WINDOW_SIZE by `delta`; false when a window would overflow. */
  adjustWindows(streams: Iterable<H2Stream>, delta: number): boolean {
    for (const stream of streams) {
      stream.sendWindow += delta;
      if (stream.sendWindow > MAX_WINDOW) return false;
    }
    return true;
  }

  /** Writes the batch; then lets waiting streams and writers go on while the transport keeps up. */
  flush(): void {
    for (let rounds = 0; rounds < 8; rounds++) {
      this.output.flush(this.#transport);
      if (this.#transport.needDrain) break;
      if (this.#waiting.length > 0 && this.connWindow > 0) this.resume();
      if (this.output.empty) break;
    }
    const check = this.#drainCheck;
    if (check.length > 0 && !this.#transport.needDrain) {
      this.#drainCheck = [];
      for (const stream of check) {
        stream.drainCheck = false;
        stream.notifyDrain();
      }
    }
  }

  /** The transport drained: everything that waited for it goes on. */
  drained(streams: Iterable<H2Stream>): void {
    for (const stream of streams) this.#noteDrain(stream);
    this.resume();
  }

  /** One DATA frame of up to `limit` bytes from the stream's oldest chunk; false when a window is shut. */
  #frame(stream: H2Stream, limit: number): boolean {
    const room = Math.min(stream.sendWindow, this.connWindow, this.maxFrame, limit);
    if (room <= 0) return false;
    const chunk = stream.head!;
    const offset = stream.offset;
    const n = Math.min(room, chunk.length - offset);
    const last = n === stream.queued && stream.endsWithData;
    this.output.frameHeader(n, T_DATA, last ? FLAG_END_STREAM : 0, stream.id);
    this.output.bytes(chunk, offset, offset + n, true);
    this.connWindow -= n;
    stream.advance(n);
    stream.progressed();
    if (last) {
      stream.takeEnding();
      this.#ended(stream);
    }
    this.#noteDrain(stream);
    return true;
  }

  /** The queue is empty: whatever ends the stream goes out (trailers, END_STREAM, or a reset). */
  #end(stream: H2Stream): void {
    const ending = stream.takeEnding();
    if (ending === END_NONE) return;
    if (ending === END_CUT) {
      stream.cut();
      return;
    }
    if (ending === END_TRAILERS) this.headers(stream, stream.takeTrailers(), true);
    else {
      this.output.frameHeader(0, T_DATA, FLAG_END_STREAM, stream.id);
      this.#ended(stream);
    }
  }

  #wait(stream: H2Stream): void {
    if (stream.waiting) return;
    stream.waiting = true;
    this.#waiting.push(stream);
  }

  /** The stream's writers are told, after the next flush, whether they may go on. */
  noteDrain(stream: H2Stream): void {
    this.#noteDrain(stream);
  }

  #noteDrain(stream: H2Stream): void {
    if (stream.drainCheck || !stream.hasDrainListeners) return;
    stream.drainCheck = true;
    this.#drainCheck.push(stream);
  }

  #word(value: number): void {
    const word = WORD;
    word[0] = value >>> 24;
    word[1] = (value >>> 16) & 0xff;
    word[2] = (value >>> 8) & 0xff;
    word[3] = value & 0xff;
    this.output.bytes(word, 0, 4, false);
  }
}

const WORD = Buffer.alloc(4);
