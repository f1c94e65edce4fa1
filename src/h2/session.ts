// One HTTP/2 connection's life, in the order things happen (RFC 9113): our preface (SETTINGS and a
// wide connection window) → the client's bytes are cut into frames (frame-reader.ts) and acted on by
// type (frame-dispatch.ts; streams and requests in stream-intake.ts) → responses are framed as the
// windows allow (sender.ts) and written once per batch → GOAWAY ends it, ours with the last stream id
// on shutdown (open streams finish), or a client's. Errors are values (errors.ts): a stream error
// resets one stream, a connection error sends GOAWAY and closes. Also the timeouts (preface, field
// block, a client that does not read, idle streams and connections) and the transport's backpressure.
// Runs over any transport with the engine's Transport shape (TCP or TLS, handles or node:net).
// Not here: frame rules per type, HPACK, framing responses.

import type { Buffer } from "node:buffer";
import { loopNow } from "../common/clock.ts";
import type { Sweepable } from "../common/sweeper.ts";
import type { ConnectionContext, ServerConnection } from "../http/connection-context.ts";
import type { EngineOptions } from "../http/engine-options.ts";
import { HttpError } from "../http/errors.ts";
import { connectionCloseChannel, connectionOpenChannel } from "../http/events.ts";
import type { Response } from "../http/response.ts";
import { type ResponseDefaults, STANDARD_DEFAULTS } from "../http/response-defaults.ts";
import type { Transport, TransportOwner } from "../http/transport.ts";
import { connectionError, type H2Error } from "./errors.ts";
import { sessionErrorChannel } from "./events.ts";
import { FrameDispatch } from "./frame-dispatch.ts";
import { FrameReader, type FrameSink } from "./frame-reader.ts";
import {
  CANCEL,
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  goawayFrame,
  NO_ERROR,
  PROTOCOL_ERROR,
  S_INITIAL_WINDOW_SIZE,
  S_MAX_CONCURRENT_STREAMS,
  S_MAX_HEADER_LIST_SIZE,
  settingsFrame,
} from "./frames.ts";
import { FloodGuard } from "./guard.ts";
import type { H2Options } from "./options.ts";
import { Sender } from "./sender.ts";
import type { PeerSettings } from "./settings.ts";
import type { H2Stream } from "./stream.ts";
import type { StreamHost } from "./stream-host.ts";
import { CONNECTION_WINDOW, StreamIntake } from "./stream-intake.ts";
import { StreamTable } from "./stream-table.ts";

/** What a session needs of its transport: any of the engine's transports has it. */
export type SessionTransport = Pick<
  Transport,
  | "start"
  | "write"
  | "cork"
  | "uncork"
  | "end"
  | "destroy"
  | "pause"
  | "resume"
  | "flushed"
  | "needDrain"
  | "remoteAddress"
  | "remotePort"
  | "localPort"
>;

const PH_OPEN = 0; // also before the client's preface and SETTINGS (FrameDispatch.opened says)
const PH_GOING_AWAY = 1; // GOAWAY sent or received: open streams finish, no new ones
const PH_CLOSING = 2; // our FIN is out; what the client still sends is dropped
const PH_GONE = 3;

/** Bytes read and dropped while closing, beyond which the connection is cut at once. */
const MAX_LINGER_BYTES = 1 << 20;
const TICK_MS = 250;

export class H2Session implements StreamHost, TransportOwner, Sweepable, ServerConnection, FrameSink {
  deadline = 0;
  readonly defaults: ResponseDefaults;
  readonly #transport: SessionTransport;
  readonly #ctx: ConnectionContext;
  readonly #options: EngineOptions;
  readonly #sender: Sender;
  readonly #streams: StreamTable;
  readonly #reader = new FrameReader();
  readonly #intake: StreamIntake;
  readonly #dispatch: FrameDispatch;
  readonly #guard: FloodGuard;
  #phase = PH_OPEN;
  #inCallback = false;
  #flushScheduled = false;
  #readPaused = false;
  #clientEnded = false;
  #lingerBytes = 0;
  #openedAt: number;
  #backedUpSince = 0;
  readonly #flushTask = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };

  constructor(transport: SessionTransport, ctx: ConnectionContext, h2: H2Options, received?: Buffer) {
    this.#transport = transport;
    this.#ctx = ctx;
    this.#options = ctx.options;
    this.defaults = ctx.defaults ?? STANDARD_DEFAULTS;
    const sender = new Sender(transport, (stream) => this.#sentEnd(stream));
    this.#sender = sender;
    const now = loopNow();
    const guard = new FloodGuard(h2.guard, now);
    /** What the client's SETTINGS say. */
    const peer: PeerSettings = { initialWindow: DEFAULT_WINDOW, maxFrame: DEFAULT_MAX_FRAME };
    const streams = new StreamTable(now);
    this.#streams = streams;
    this.#intake = new StreamIntake(this, ctx, h2, streams, sender, guard, peer);
    this.#dispatch = new FrameDispatch(this, this.#intake, streams, sender, guard, peer, () => this.#peerGoaway());
    this.#guard = guard;
    this.#openedAt = now;
    transport.start(this);
    ctx.sweeper.add(this);
    this.deadline = now + TICK_MS;
    // Our preface: SETTINGS (RFC 9113 §3.4), then the connection window opened wide.
    const settings: Array<[number, number]> = [
      [S_MAX_CONCURRENT_STREAMS, h2.maxConcurrentStreams],
      [S_MAX_HEADER_LIST_SIZE, h2.maxHeaderListBytes],
    ];
    if (h2.streamWindowBytes !== DEFAULT_WINDOW) settings.push([S_INITIAL_WINDOW_SIZE, h2.streamWindowBytes]);
    sender.raw(settingsFrame(settings));
    sender.windowUpdate(0, CONNECTION_WINDOW - DEFAULT_WINDOW);
    // A connection taken over from HTTP/1.1 (h2c, with the bytes it read) was announced there.
    if (received === undefined && connectionOpenChannel.hasSubscribers)
      connectionOpenChannel.publish({ connection: this });
    if (received !== undefined && received.length > 0) this.received(received);
    else this.#flush();
  }

  get remoteAddress(): string {
    return this.#transport.remoteAddress;
  }

  get remotePort(): number {
    return this.#transport.remotePort;
  }

  get localPort(): number {
    return this.#transport.localPort;
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  // ── 1. Bytes arrive, are cut into frames, and each is acted on ────────────────────────────────

  received(chunk: Buffer): void {
    if (this.#phase >= PH_CLOSING) {
      this.#lingerBytes += chunk.length;
      if (this.#lingerBytes > MAX_LINGER_BYTES) this.#transport.destroy();
      return;
    }
    this.#inCallback = true;
    try {
      const error = this.#reader.read(chunk, this);
      if (error !== null) this.#connectionError(error);
    } finally {
      this.#inCallback = false;
    }
    this.#flush();
  }

  /** From the reader: one frame. A connection error stops the reading. */
  frame(buf: Buffer, start: number, end: number, type: number, flags: number, id: number): boolean {
    const error = this.#dispatch.frame(buf, start, end, type, flags, id);
    if (error === null) return true;
    if (error.connection) {
      this.#connectionError(error);
      return false;
    }
    this.#streamError(error);
    return this.#phase < PH_CLOSING;
  }

  // ── 2. What streams ask of the connection (StreamHost) ────────────────────────────────────────

  writeHeaders(stream: H2Stream, block: Buffer, endStream: boolean): void {
    this.#sender.headers(stream, block, endStream);
    this.#scheduleFlush();
  }

  pump(stream: H2Stream): void {
    this.#sender.pump(stream);
    this.#scheduleFlush();
  }

  reset(stream: H2Stream, code: number): void {
    if (stream.reset) return;
    this.#sender.rst(stream.id, code);
    this.#streams.recent.reset(stream.id);
    stream.closeByReset(false);
    this.#forget(stream);
    this.#scheduleFlush();
  }

  openWindow(stream: H2Stream, bytes: number): void {
    this.#sender.windowUpdate(stream.id, bytes);
    this.#scheduleFlush();
  }

  streamDone(stream: H2Stream): void {
    this.#forget(stream);
  }

  get backedUp(): boolean {
    return this.#sender.backedUp;
  }

  get flushed(): boolean {
    return this.#sender.flushed;
  }

  get connectionWindow(): number {
    return this.#sender.connWindow;
  }

  watchDrain(stream: H2Stream): void {
    this.#sender.noteDrain(stream);
    this.#scheduleFlush();
  }

  /** Our END_STREAM went out. A request body still coming is not wanted any more (RFC 9113 §8.1). */
  #sentEnd(stream: H2Stream): void {
    this.#guard.responded();
    stream.sentEnd();
    if (!stream.remoteClosed && !stream.reset) this.reset(stream, NO_ERROR);
  }

  #forget(stream: H2Stream): void {
    if (this.#streams.forget(stream) && this.#phase === PH_GOING_AWAY) this.#scheduleFlush();
  }

  // ── 3. Writing, flow of the transport ─────────────────────────────────────────────────────────

  #scheduleFlush(): void {
    if (this.#inCallback || this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(this.#flushTask);
  }

  #flush(): void {
    if (this.#phase === PH_GONE) return;
    this.#sender.flush();
    if (this.#transport.needDrain) {
      if (this.#backedUpSince === 0) this.#backedUpSince = loopNow();
      // Nothing more is read while the client does not take what it asked for.
      if (!this.#readPaused) {
        this.#readPaused = true;
        this.#transport.pause();
      }
    }
    if (this.#phase === PH_GOING_AWAY && this.#streams.size === 0) this.#close();
  }

  drained(): void {
    this.#backedUpSince = 0;
    if (this.#readPaused && this.#phase < PH_CLOSING) {
      this.#readPaused = false;
      this.#transport.resume();
    }
    this.#sender.drained(this.#streams.values());
    this.#flush();
  }

  // ── 4. Limits, GOAWAY, timeouts, closing ──────────────────────────────────────────────────────

  #streamError(error: H2Error): void {
    if (sessionErrorChannel.hasSubscribers) sessionErrorChannel.publish({ session: this, error });
    const stream = this.#streams.get(error.stream);
    if (stream !== undefined) {
      this.reset(stream, error.code);
      return;
    }
    this.#streams.recent.reset(error.stream);
    this.#sender.rst(error.stream, error.code);
  }

  /** RFC 9113 §5.4.1: GOAWAY naming the last stream processed, then close. */
  #connectionError(error: H2Error): void {
    if (sessionErrorChannel.hasSubscribers) sessionErrorChannel.publish({ session: this, error });
    this.#sender.raw(goawayFrame(this.#streams.lastStream, error.code, error.message));
    this.#streams.closeAll(false);
    this.#close();
  }

  /** Every open stream's response under way (a reload waits for them before closing the old handlers). */
  collectResponses(out: Response[]): void {
    this.#streams.collectResponses(out);
  }

  /** The server shuts down or reloads: GOAWAY with the last stream id; open streams finish. */
  drain(): void {
    if (this.#phase >= PH_GOING_AWAY) return;
    this.#goaway();
    this.#flush();
  }

  #goaway(): void {
    this.#phase = PH_GOING_AWAY;
    const streams = this.#streams;
    streams.goawayLast = streams.lastStream;
    this.#sender.raw(goawayFrame(streams.lastStream, NO_ERROR));
  }

  #peerGoaway(): void {
    if (this.#phase < PH_GOING_AWAY) this.#goaway();
  }

  onDeadline(now: number): void {
    if (this.#phase === PH_GONE) return;
    if (this.#phase === PH_CLOSING) {
      this.#transport.destroy();
      return;
    }
    const opened = this.#dispatch.opened;
    // The preface and the client's SETTINGS are bounded as a request head is.
    if (!opened && now - this.#openedAt >= this.#options.headersTimeoutMs) {
      this.#transport.destroy();
      return;
    }
    const blocks = this.#intake.blocks;
    if (blocks.stream !== 0 && now - blocks.startedAt >= this.#options.headersTimeoutMs) {
      this.#connectionError(connectionError(PROTOCOL_ERROR, "field block not finished in time"));
      this.#flush();
      return;
    }
    if (this.#backedUpSince !== 0 && now - this.#backedUpSince >= this.#options.sendTimeoutMs) {
      this.#transport.destroy();
      return;
    }
    if (this.#streams.size === 0) {
      if (opened && this.#phase === PH_OPEN && now - this.#streams.idleSince >= this.#options.keepAliveTimeoutMs) {
        this.#goaway();
        this.#flush();
        return;
      }
    } else {
      this.#checkStreams(now);
      this.#flush();
    }
    if (this.#phase < PH_CLOSING) this.deadline = now + TICK_MS;
  }

  /** Streams that wait too long: a response nobody lets out (a window held shut), a body that stalls. */
  #checkStreams(now: number): void {
    const send = this.#options.sendTimeoutMs;
    const body = this.#options.bodyTimeoutMs;
    for (const stream of this.#streams.values()) {
      const idle = now - stream.lastProgress;
      if (stream.queued > 0 && idle >= send) this.reset(stream, CANCEL);
      else if (stream.bodyUnread && !stream.responded && idle >= body)
        this.#intake.failBody(stream, new HttpError(408, "BODY_TIMEOUT", "Request body took too long"));
    }
  }

  /** Our side is done: what is queued goes out, then FIN; the client's further bytes are dropped. */
  #close(): void {
    if (this.#phase >= PH_CLOSING) return;
    this.#phase = PH_CLOSING;
    this.#sender.flush();
    this.#reader.clear();
    if (this.#readPaused) {
      this.#readPaused = false;
      this.#transport.resume();
    }
    this.deadline = loopNow() + this.#options.lingerMs;
    if (this.#clientEnded) this.#transport.end(() => this.#transport.destroy());
    else this.#transport.end();
  }

  peerEnded(): void {
    this.#clientEnded = true;
    if (this.#phase >= PH_CLOSING) {
      this.#transport.destroy();
      return;
    }
    // The client sends nothing more: a request body still coming can never complete (as over
    // HTTP/1.1); streams already received may still be answered.
    for (const stream of [...this.#streams.values()]) {
      if (!stream.remoteClosed)
        this.#intake.failBody(stream, new HttpError(400, "BAD_CHUNK", "Request body incomplete"));
    }
    if (this.#streams.size === 0) this.#close();
    else if (this.#phase < PH_GOING_AWAY) this.#goaway();
    this.#flush();
  }

  destroy(): void {
    this.#transport.destroy();
  }

  closed(): void {
    if (this.#phase === PH_GONE) return;
    this.#phase = PH_GONE;
    this.#streams.closeAll(true);
    this.#ctx.sweeper.delete(this);
    this.#ctx.connectionClosed(this);
    if (connectionCloseChannel.hasSubscribers) connectionCloseChannel.publish({ connection: this });
  }
}
