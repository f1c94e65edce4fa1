// One HTTP/2 stream (RFC 9113 §5.1) as the engine's request source and response wire: the request's
// body arrives in DATA frames and reaches the handler's BodySink with backpressure (our receive window
// opens as the sink takes bytes, so a stream holds at most its window of unread body); the response
// is encoded into HEADERS (HPACK, hpack-encoder.ts) and DATA frames sent as the peer's stream and
// connection windows allow (RFC 9113 §6.9), the rest queued by reference and bounded: write() says
// "wait" past a high-water mark. Trailers go in a last HEADERS frame. Not here: reading frames,
// the connection's window, settings, limits (session.ts).

import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import type { HttpError } from "../http/errors.ts";
import type { BodySink, Request, RequestSource } from "../http/request.ts";
import type { OutgoingHead, PreparedResponse, Response, ResponseWire } from "../http/response.ts";
import { SLOT_H2 } from "../http/response-defaults.ts";
import { loopNow } from "../common/clock.ts";
import { INTERNAL_ERROR } from "./frames.ts";
import { BLOCK } from "./hpack-encoder.ts";
import { CONTINUE_BLOCK, copyOf, encodeHead, encodePrepared, encodeTrailers } from "./response-block.ts";
import { END_CUT, END_NONE, END_PLAIN, END_TRAILERS, type StreamHost } from "./stream-host.ts";

/** The smallest chunk writableSize suggests, whatever the windows: a frame's worth. */
const MIN_WRITE = 16 * 1024;

export class H2Stream implements RequestSource, ResponseWire {
  readonly id: number;
  readonly #host: StreamHost;
  request: Request | null = null;
  response: Response | null = null;
  /** The peer's END_STREAM arrived (or the stream was reset). */
  remoteClosed = false;
  /** Our END_STREAM went out (or the stream was reset). */
  localClosed = false;
  /** The stream ended by RST_STREAM, either way. */
  reset = false;
  /** What the peer may still send us on this stream (our receive window). */
  recvWindow: number;
  /** What we may still send (the peer's window for this stream). */
  sendWindow: number;
  /** loopNow() of the stream's last progress (bytes framed or received): its timeouts run from here. */
  lastProgress: number;
  /** In the session's map of open streams (a stream answered within its HEADERS frame never is). */
  listed = false;
  /** The session is done with the stream. */
  forgotten = false;
  /** In the sender's list of streams waiting for a window or the transport. */
  waiting = false;
  /** In the sender's list of streams whose writers may be told to go on. */
  drainCheck = false;

  // ── the request body ─────────────────────────────────────────────────────────────────────────
  #sink: BodySink | null = null;
  #paused = false;
  /** Body chunks (copies) the sink has not taken yet. */
  #held: Buffer[] | null = null;
  #heldBytes = 0;
  /** Taken by the sink but not yet given back to the peer as window. */
  #unacked = 0;
  readonly #initialRecvWindow: number;
  #trailers: readonly string[] = NO_TRAILERS;
  /** Body bytes received so far, and the declared length (-1: none). */
  bodyBytes = 0;
  declaredLength = -1;

  // ── the response ─────────────────────────────────────────────────────────────────────────────
  #pendingHead: Buffer | null = null;
  /** Response bytes not yet framed, oldest first from #queueStart (made on first use). */
  #queue: Buffer[] = NO_CHUNKS;
  #queueStart = 0;
  /** Offset into the oldest queued chunk. */
  #offset = 0;
  queued = 0;
  /** The response ends after the queue: END_STREAM on its last frame, or the trailers' HEADERS. */
  #ending = false;
  #trailerBlock: Buffer | null = null;
  /** The response came out shorter than announced: reset the stream after the queue. */
  #cutShort = false;
  /** The response is complete from the handler's side (everything is queued). */
  responded = false;
  #drainListeners: Array<() => void> | null = null;

  constructor(host: StreamHost, id: number, recvWindow: number, sendWindow: number) {
    this.#host = host;
    this.id = id;
    this.recvWindow = recvWindow;
    this.#initialRecvWindow = recvWindow;
    this.sendWindow = sendWindow;
    this.lastProgress = loopNow();
  }

  // ── RequestSource ────────────────────────────────────────────────────────────────────────────

  get remoteAddress(): string {
    return this.#host.remoteAddress;
  }

  get remotePort(): number {
    return this.#host.remotePort;
  }

  get localPort(): number {
    return this.#host.localPort;
  }

  startBody(request: Request, sink: BodySink): void {
    if (this.reset) {
      sink.error(new Error("stream reset by the client"));
      return;
    }
    // RFC 9110 §10.1.1: a client that waits for 100 (Continue) gets it once the body is wanted.
    if (request.expectContinue && !this.remoteClosed && this.response !== null && !this.response.headersSent)
      this.#host.writeHeaders(this, CONTINUE_BLOCK, false);
    this.#sink = sink;
    this.#deliver();
  }

  resumeBody(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#deliver();
  }

  /** DATA for this stream (the session checked the windows); the bytes are copied if kept. */
  receiveData(chunk: Buffer, start: number, end: number): void {
    const n = end - start;
    this.bodyBytes += n;
    this.lastProgress = loopNow();
    if (n === 0 || this.reset) return;
    const copy = copyOf(chunk, start, end);
    if (this.#sink !== null && !this.#paused && this.#held === null) {
      this.#give(copy);
      this.#acknowledge();
      return;
    }
    (this.#held ??= []).push(copy);
    this.#heldBytes += n;
  }

  /** The peer ended its side (END_STREAM, with trailers as field lines when they came). */
  receiveEnd(trailers: readonly string[]): void {
    this.remoteClosed = true;
    this.#trailers = trailers;
    if (this.#sink !== null && !this.#paused && this.#held === null) this.#finishBody();
    if (this.localClosed) this.#host.streamDone(this);
  }

  /** The body will never complete (reset, malformed, too large): the sink hears it once. */
  failBody(error: HttpError | Error): void {
    const sink = this.#sink;
    this.#sink = null;
    this.#held = null;
    this.#heldBytes = 0;
    sink?.error(error);
  }

  /** Whether body bytes are expected that no sink has finished taking. */
  get bodyUnread(): boolean {
    return !this.remoteClosed || this.#held !== null || (this.#sink !== null && this.#paused);
  }

  #deliver(): void {
    const held = this.#held;
    if (held !== null) {
      this.#held = null;
      let i = 0;
      for (; i < held.length && !this.#paused && this.#sink !== null; i++) {
        this.#heldBytes -= held[i]!.length;
        this.#give(held[i]!);
      }
      if (i < held.length) {
        this.#held = held.slice(i);
        this.#acknowledge();
        return;
      }
      this.#acknowledge();
    }
    if (this.remoteClosed && this.#sink !== null && !this.#paused) this.#finishBody();
  }

  #give(chunk: Buffer): void {
    this.#unacked += chunk.length;
    if (this.#sink!.data(chunk) === false) this.#paused = true;
  }

  #finishBody(): void {
    const sink = this.#sink;
    this.#sink = null;
    sink?.end(this.#trailers);
  }

  /** Gives taken bytes back to the peer once half the window is used (fewer WINDOW_UPDATE frames). */
  #acknowledge(): void {
    if (this.remoteClosed || this.reset) return;
    if (this.#unacked * 2 >= this.#initialRecvWindow || this.recvWindow < this.#initialRecvWindow / 2) {
      const bytes = this.#unacked;
      this.#unacked = 0;
      if (bytes > 0) {
        this.recvWindow += bytes;
        this.#host.openWindow(this, bytes);
      }
    }
  }

  // ── ResponseWire ─────────────────────────────────────────────────────────────────────────────

  sendWhole(_res: Response, head: OutgoingHead, body: Buffer, start: number, end: number): void {
    encodeHead(head, this.#host.defaults);
    const block = BLOCK.bytes();
    if (end === start) {
      this.#finishResponse();
      this.#host.writeHeaders(this, block, true);
      return;
    }
    this.#host.writeHeaders(this, block, false);
    // The body may be a view of a buffer its owner reuses (the read area): a copy is queued.
    this.#enqueue(copyOf(body, start, end));
    this.#ending = true;
    this.#finishResponse();
    this.#host.pump(this);
  }

  sendText(res: Response, head: OutgoingHead, body: string, byteLength: number): void {
    // byteLength is the whole text's UTF-8 length, or 0 when no body is sent (HEAD).
    this.sendWhole(res, head, byteLength === 0 ? EMPTY_CHUNK : Buffer.from(body, "utf8"), 0, byteLength);
  }

  sendPrepared(res: Response, prepared: PreparedResponse, withBody: boolean): void {
    const slot = this.#host.defaults.slotBase + SLOT_H2;
    const edits = res.edits;
    let block = prepared.encoded(slot, edits);
    if (block === undefined) {
      block = encodePrepared(prepared, this.#host.defaults, edits);
      prepared.keepEncoded(slot, block, edits);
    }
    const body = prepared.body;
    if (!withBody || body.length === 0) {
      this.#finishResponse();
      this.#host.writeHeaders(this, block, true);
      return;
    }
    this.#host.writeHeaders(this, block, false);
    // A prepared body never changes: it is framed by reference.
    this.#enqueue(body);
    this.#ending = true;
    this.#finishResponse();
    this.#host.pump(this);
  }

  startHead(_res: Response, head: OutgoingHead): void {
    encodeHead(head, this.#host.defaults);
    const bytes = BLOCK.bytes();
    this.#pendingHead = copyOf(bytes, 0, bytes.length);
  }

  get headPending(): boolean {
    return this.#pendingHead !== null;
  }

  retractHead(): void {
    this.#pendingHead = null;
  }

  flushHead(): boolean {
    const head = this.#pendingHead;
    if (head !== null) {
      this.#pendingHead = null;
      if (!this.reset) this.#host.writeHeaders(this, head, false);
    }
    return !this.#host.backedUp;
  }

  /**
   * Queues the chunk and frames what the windows allow. "Go on" only when nothing stays queued:
   * bytes held for a shut window must not be joined by more, so a stream holds at most the one chunk
   * its writer sized by writableSize.
   */
  writeBody(chunk: Buffer): boolean {
    this.flushHead();
    if (this.reset) return true;
    this.#enqueue(chunk);
    this.#host.pump(this);
    return this.queued === 0 && !this.#host.backedUp;
  }

  endBody(_res: Response, last: Buffer | undefined, trailers: readonly string[] | undefined, complete: boolean): void {
    const head = this.#pendingHead;
    this.#pendingHead = null;
    if (this.reset) {
      this.#finishResponse();
      return;
    }
    if (head !== null) {
      const bare =
        last === undefined && this.queued === 0 && complete && (trailers === undefined || trailers.length === 0);
      if (bare) {
        this.#finishResponse();
        this.#host.writeHeaders(this, head, true);
        return;
      }
      this.#host.writeHeaders(this, head, false);
    }
    if (last !== undefined) this.#enqueue(last);
    if (!complete) this.#cutShort = true;
    else if (trailers !== undefined && trailers.length > 0) this.#trailerBlock = encodeTrailers(trailers);
    this.#ending = true;
    this.#finishResponse();
    this.#host.pump(this);
  }

  abort(): void {
    this.#pendingHead = null;
    this.#finishResponse();
    if (!this.reset) this.#host.reset(this, INTERNAL_ERROR);
  }

  detach(): { socket: Socket; buffered: Buffer } {
    throw new Error("an HTTP/2 stream cannot switch protocols");
  }

  onDrain(listener: () => void): void {
    (this.#drainListeners ??= []).push(listener);
    this.#host.watchDrain(this);
  }

  get flushed(): boolean {
    return this.queued === 0 && this.#host.flushed;
  }

  get writableSize(): number {
    return Math.max(MIN_WRITE, Math.min(this.sendWindow, this.#host.connectionWindow) - this.queued);
  }

  // ── framing, with the session ────────────────────────────────────────────────────────────────

  /** The oldest queued chunk and the offset into it, for the session's framing loop. */
  get head(): Buffer | undefined {
    return this.#queue[this.#queueStart];
  }

  get offset(): number {
    return this.#offset;
  }

  /** `n` bytes of the oldest chunk were framed. */
  advance(n: number): void {
    this.#offset += n;
    this.queued -= n;
    this.sendWindow -= n;
    const chunk = this.#queue[this.#queueStart]!;
    if (this.#offset === chunk.length) {
      this.#queue[this.#queueStart++] = EMPTY_CHUNK;
      this.#offset = 0;
      if (this.#queueStart === this.#queue.length) {
        // Emptied: a new array when more comes (truncating one in place costs more than a new one).
        this.#queue = NO_CHUNKS;
        this.#queueStart = 0;
      }
    }
  }

  /** Whether the frame about to carry the last queued bytes should also end the stream. */
  get endsWithData(): boolean {
    return this.#ending && this.#trailerBlock === null && !this.#cutShort;
  }

  /**
   * What ends the stream once its queue is framed: END_NONE while more may come, else END_PLAIN (an
   * empty DATA frame with END_STREAM), END_TRAILERS (takeTrailers()) or END_CUT (a reset). Taking it
   * clears it.
   */
  takeEnding(): number {
    if (!this.#ending || this.queued !== 0) return END_NONE;
    this.#ending = false;
    if (this.#cutShort) return END_CUT;
    return this.#trailerBlock !== null ? END_TRAILERS : END_PLAIN;
  }

  takeTrailers(): Buffer {
    const block = this.#trailerBlock!;
    this.#trailerBlock = null;
    return block;
  }

  get hasDrainListeners(): boolean {
    return this.#drainListeners !== null;
  }

  progressed(): void {
    this.lastProgress = loopNow();
  }

  /** The response came out shorter than it announced: the peer must not take it as complete. */
  cut(): void {
    this.#host.reset(this, INTERNAL_ERROR);
  }

  /** The session sent our END_STREAM. */
  sentEnd(): void {
    this.localClosed = true;
    if (this.remoteClosed) this.#host.streamDone(this);
  }

  /** Frames were sent or the transport drained: tells waiting writers when they may go on. */
  notifyDrain(): void {
    const listeners = this.#drainListeners;
    if (listeners === null || this.queued !== 0 || this.#host.backedUp) return;
    this.#drainListeners = null;
    for (const l of listeners) l();
  }

  /**
   * The stream ended by RST_STREAM (ours or the peer's): drop what waits, and tell the request it was
   * aborted unless its response was complete (our reset after a whole response only stops the body).
   */
  closeByReset(peer: boolean): void {
    const complete = this.localClosed && this.responded;
    if (this.reset) return;
    this.reset = true;
    this.remoteClosed = true;
    this.localClosed = true;
    this.#queue = NO_CHUNKS;
    this.#queueStart = 0;
    this.#offset = 0;
    this.queued = 0;
    this.#ending = false;
    this.#pendingHead = null;
    this.#drainListeners = null;
    this.failBody(new Error(peer ? "stream reset by the client" : "stream reset"));
    if (!complete) this.request?.notifyAborted();
  }

  #enqueue(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#queue === NO_CHUNKS) this.#queue = [];
    this.#queue.push(chunk);
    this.queued += chunk.length;
  }

  /** The handler is done with the response: a body still unread is abandoned. */
  #finishResponse(): void {
    this.responded = true;
    if (this.bodyUnread && this.#sink !== null) {
      this.failBody(new Error("response sent before the body was read"));
    }
  }
}

const NO_TRAILERS: readonly string[] = [];
/** The shared empty queue of streams that never queued anything (never pushed to). */
const NO_CHUNKS: Buffer[] = [];
const EMPTY_CHUNK = Buffer.alloc(0);
