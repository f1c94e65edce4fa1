// One HTTP/2 connection's life, in the order things happen (RFC 9113): the client's preface and
// SETTINGS → frames are read and checked (§4–§6) → a field block (HEADERS + CONTINUATION) becomes a
// stream whose request goes to the same handlers as HTTP/1.1's (http/dispatch.ts) → DATA feeds
// request bodies, WINDOW_UPDATE lets responses go on (sender.ts) → GOAWAY ends it, ours with the last
// stream id on shutdown (open streams finish), or a client's. Errors are values (errors.ts): a stream
// error resets one stream, a connection error sends GOAWAY and closes. Limits and the flood guard
// (guard.ts) keep a client from costing more than it pays. Runs over any transport with the engine's
// Transport shape (a TCP handle today, TLS with #15). Not here: framing responses (sender.ts,
// stream.ts), HPACK (hpack-*.ts).

import { Buffer } from "node:buffer";
import { loopMonotonic, loopNow } from "../common/clock.ts";
import type { Sweepable } from "../common/sweeper.ts";
import type { ConnectionContext, ServerConnection } from "../http/connection.ts";
import { dispatchRequest, sendEngineError } from "../http/dispatch.ts";
import type { EngineOptions } from "../http/engine-options.ts";
import { HttpError } from "../http/errors.ts";
import { connectionCloseChannel, connectionOpenChannel, requestStartChannel } from "../http/events.ts";
import { Request } from "../http/request.ts";
import { Response } from "../http/response.ts";
import { type ResponseDefaults, STANDARD_DEFAULTS } from "../http/response-defaults.ts";
import type { Transport, TransportOwner } from "../http/transport.ts";
import { connectionError, type H2Error, streamError } from "./errors.ts";
import { sessionErrorChannel } from "./events.ts";
import {
  CANCEL,
  COMPRESSION_ERROR,
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  ENHANCE_YOUR_CALM,
  FLAG_ACK,
  FLAG_END_STREAM,
  FLAG_PADDED,
  FLOW_CONTROL_ERROR,
  FRAME_HEADER_BYTES,
  FRAME_SIZE_ERROR,
  goawayFrame,
  MAX_WINDOW,
  NO_ERROR,
  PREFACE,
  paddedEnd,
  PROTOCOL_ERROR,
  pingAckFrame,
  REFUSED_STREAM,
  read31,
  S_INITIAL_WINDOW_SIZE,
  S_MAX_CONCURRENT_STREAMS,
  S_MAX_HEADER_LIST_SIZE,
  SETTINGS_ACK,
  STREAM_CLOSED,
  settingsFrame,
  T_CONTINUATION,
  T_DATA,
  T_GOAWAY,
  T_HEADERS,
  T_PING,
  T_PRIORITY,
  T_PUSH_PROMISE,
  T_RST_STREAM,
  T_SETTINGS,
  T_WINDOW_UPDATE,
} from "./frames.ts";
import { FloodGuard } from "./guard.ts";
import { BLOCK_EMPTY, BLOCK_PENDING, BLOCK_READY, FieldBlocks } from "./field-block.ts";
import { DECODE_ERROR, DECODE_TOO_LARGE, HpackDecoder } from "./hpack-decoder.ts";
import type { H2Options } from "./options.ts";
import { RecentStreams } from "./recent-streams.ts";
import { RequestFields, TrailerFields } from "./request-fields.ts";
import { Sender } from "./sender.ts";
import { type PeerSettings, readSettings } from "./settings.ts";
import { H2Stream } from "./stream.ts";
import type { StreamHost } from "./stream-host.ts";

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

const PH_PREFACE = 0; // waiting for the client's preface
const PH_SETTINGS = 1; // the preface came; its SETTINGS frame must follow
const PH_OPEN = 2;
const PH_GOING_AWAY = 3; // GOAWAY sent or received: open streams finish, no new ones
const PH_CLOSING = 4; // our FIN is out; what the client still sends is dropped
const PH_GONE = 5;

/** Our connection window: per-stream windows bound what is buffered, so this one can be large. */
const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** Encoded field block bytes held while CONTINUATION frames come, beyond which the client is cut. */
const BLOCK_BYTES_FACTOR = 4;
/** Bytes read and dropped while closing, beyond which the connection is cut at once. */
const MAX_LINGER_BYTES = 1 << 20;
const TICK_MS = 250;

export class H2Session implements StreamHost, TransportOwner, Sweepable, ServerConnection {
  deadline = 0;
  readonly defaults: ResponseDefaults;
  readonly #transport: SessionTransport;
  readonly #ctx: ConnectionContext;
  readonly #options: EngineOptions;
  readonly #h2: H2Options;
  readonly #sender: Sender;
  readonly #decoder: HpackDecoder;
  readonly #requestFields = new RequestFields();
  readonly #trailerFields = new TrailerFields();
  readonly #guard: FloodGuard;
  readonly #streams = new Map<number, H2Stream>();
  #phase = PH_PREFACE;
  /** Bytes of a frame (or the preface) that straddles reads: a copy. */
  #partial: Buffer | null = null;
  /** The highest stream id the client opened. */
  #lastStream = 0;
  /** The last stream id our GOAWAY named; streams above it are ignored. */
  #goawayLast = 0x7fff_ffff;
  /** Field blocks as their HEADERS and CONTINUATION frames come. */
  readonly #blocks: FieldBlocks;
  /** Our receive window for the connection. */
  #recvWindow = DEFAULT_WINDOW;
  /** What the client's SETTINGS say. */
  readonly #peer: PeerSettings = { initialWindow: DEFAULT_WINDOW, maxFrame: DEFAULT_MAX_FRAME };
  readonly #recent = new RecentStreams();
  #inCallback = false;
  #flushScheduled = false;
  #readPaused = false;
  #clientEnded = false;
  #lingerBytes = 0;
  #openedAt: number;
  #idleSince: number;
  #backedUpSince = 0;
  readonly #flushTask = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };

  constructor(transport: SessionTransport, ctx: ConnectionContext, h2: H2Options, received?: Buffer) {
    this.#transport = transport;
    this.#ctx = ctx;
    this.#options = ctx.options;
    this.#h2 = h2;
    this.defaults = ctx.defaults ?? STANDARD_DEFAULTS;
    this.#decoder = new HpackDecoder(4096);
    this.#blocks = new FieldBlocks(h2.maxHeaderFrames, h2.maxHeaderListBytes * BLOCK_BYTES_FACTOR);
    this.#sender = new Sender(transport, (stream) => this.#sentEnd(stream));
    const now = loopNow();
    this.#guard = new FloodGuard(h2.guard, now);
    this.#openedAt = now;
    this.#idleSince = now;
    transport.start(this);
    ctx.sweeper.add(this);
    this.deadline = now + TICK_MS;
    // Our preface: SETTINGS (RFC 9113 §3.4), then the connection window opened wide.
    const settings: Array<[number, number]> = [
      [S_MAX_CONCURRENT_STREAMS, h2.maxConcurrentStreams],
      [S_MAX_HEADER_LIST_SIZE, h2.maxHeaderListBytes],
    ];
    if (h2.streamWindowBytes !== DEFAULT_WINDOW) settings.push([S_INITIAL_WINDOW_SIZE, h2.streamWindowBytes]);
    this.#sender.raw(settingsFrame(settings));
    this.#sender.windowUpdate(0, CONNECTION_WINDOW - DEFAULT_WINDOW);
    this.#recvWindow = CONNECTION_WINDOW;
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

  // ── 1. Bytes arrive and are cut into frames ───────────────────────────────────────────────────

  received(chunk: Buffer): void {
    if (this.#phase >= PH_CLOSING) {
      this.#lingerBytes += chunk.length;
      if (this.#lingerBytes > MAX_LINGER_BYTES) this.#transport.destroy();
      return;
    }
    this.#inCallback = true;
    try {
      this.#read(chunk);
    } finally {
      this.#inCallback = false;
    }
    this.#flush();
  }

  #read(chunk: Buffer): void {
    let buf = chunk;
    let pos = 0;
    if (this.#partial !== null) {
      buf = Buffer.concat([this.#partial, chunk]);
      this.#partial = null;
    }
    const end = buf.length;
    if (this.#phase === PH_PREFACE) {
      const n = Math.min(end, PREFACE.length);
      if (buf.compare(PREFACE, 0, n, 0, n) !== 0) {
        this.#connectionError(connectionError(PROTOCOL_ERROR, "invalid connection preface"));
        return;
      }
      if (n < PREFACE.length) {
        this.#partial = Buffer.from(buf);
        return;
      }
      pos = PREFACE.length;
      this.#phase = PH_SETTINGS;
    }
    while (end - pos >= FRAME_HEADER_BYTES && this.#phase < PH_CLOSING) {
      const length = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
      // RFC 9113 §4.2: we never raise SETTINGS_MAX_FRAME_SIZE above its default.
      if (length > DEFAULT_MAX_FRAME) {
        this.#connectionError(connectionError(FRAME_SIZE_ERROR, `frame of ${length} bytes`));
        return;
      }
      if (end - pos < FRAME_HEADER_BYTES + length) break;
      const start = pos + FRAME_HEADER_BYTES;
      pos = start + length;
      const error = this.#frame(buf, start, pos, buf[start - 6]!, buf[start - 5]!, read31(buf, start - 4));
      if (error === null) continue;
      if (error.connection) {
        this.#connectionError(error);
        return;
      }
      this.#streamError(error);
    }
    if (pos < end && this.#phase < PH_CLOSING) this.#partial = Buffer.from(buf.subarray(pos, end));
  }

  // ── 2. Each frame by its type (RFC 9113 §6) ───────────────────────────────────────────────────

  #frame(buf: Buffer, start: number, end: number, type: number, flags: number, id: number): H2Error | null {
    if (this.#blocks.stream !== 0 && type !== T_CONTINUATION)
      return connectionError(PROTOCOL_ERROR, "frame inside a field block");
    if (this.#phase === PH_SETTINGS) {
      if (type !== T_SETTINGS || (flags & FLAG_ACK) !== 0)
        return connectionError(PROTOCOL_ERROR, "the preface's first frame is not SETTINGS");
      this.#phase = PH_OPEN;
    }
    switch (type) {
      case T_DATA:
        return this.#data(buf, start, end, flags, id);
      case T_HEADERS:
        return this.#block(this.#blocks.headers(buf, start, end, flags, id, loopNow()));
      case T_CONTINUATION:
        return this.#block(this.#blocks.continuation(buf, start, end, flags, id));
      case T_SETTINGS:
        return this.#settings(buf, start, end, flags, id);
      case T_WINDOW_UPDATE:
        return this.#windowUpdate(buf, start, end, id);
      case T_RST_STREAM:
        return this.#rstStream(start, end, id);
      case T_PING:
        if (id !== 0) return connectionError(PROTOCOL_ERROR, "PING on a stream");
        if (end - start !== 8) return connectionError(FRAME_SIZE_ERROR, "PING of the wrong size");
        if (!this.#cheap()) return this.#calm("PING flood");
        if ((flags & FLAG_ACK) === 0) this.#sender.raw(pingAckFrame(buf, start));
        return null;
      case T_PRIORITY:
        if (id === 0) return connectionError(PROTOCOL_ERROR, "PRIORITY on stream 0");
        if (end - start !== 5) return streamError(FRAME_SIZE_ERROR, id, "PRIORITY of the wrong size");
        if (!this.#cheap()) return this.#calm("PRIORITY flood");
        if (read31(buf, start) === id) return streamError(PROTOCOL_ERROR, id, "stream depends on itself");
        return null;
      case T_GOAWAY:
        if (id !== 0) return connectionError(PROTOCOL_ERROR, "GOAWAY on a stream");
        if (end - start < 8) return connectionError(FRAME_SIZE_ERROR, "GOAWAY too short");
        this.#peerGoaway();
        return null;
      case T_PUSH_PROMISE:
        return connectionError(PROTOCOL_ERROR, "PUSH_PROMISE from a client");
      default:
        // RFC 9113 §4.1: unknown frame types are ignored — but they are counted.
        return this.#cheap() ? null : this.#calm("flood of unknown frames");
    }
  }

  #data(buf: Buffer, start: number, end: number, flags: number, id: number): H2Error | null {
    if (id === 0) return connectionError(PROTOCOL_ERROR, "DATA on stream 0");
    const contentEnd = paddedEnd(buf, start, end, flags);
    if (contentEnd < 0) return connectionError(PROTOCOL_ERROR, "invalid padding");
    const contentStart = (flags & FLAG_PADDED) !== 0 ? start + 1 : start;
    const length = end - start;
    // The whole frame counts against the windows, padding included (RFC 9113 §6.9.1).
    this.#recvWindow -= length;
    if (this.#recvWindow < 0) return connectionError(FLOW_CONTROL_ERROR, "connection window exceeded");
    if (this.#recvWindow < CONNECTION_WINDOW / 2) {
      this.#sender.windowUpdate(0, CONNECTION_WINDOW - this.#recvWindow);
      this.#recvWindow = CONNECTION_WINDOW;
    }
    const endStream = (flags & FLAG_END_STREAM) !== 0;
    if (length === 0 && !endStream && !this.#cheap()) return this.#calm("flood of empty DATA frames");
    if (id > this.#lastStream) return connectionError(PROTOCOL_ERROR, "DATA on an idle stream");
    const stream = this.#streams.get(id);
    if (stream === undefined || stream.reset) return this.#notOpen(id, "DATA");
    if (stream.remoteClosed) return streamError(STREAM_CLOSED, id, "DATA after the end of the stream");
    stream.recvWindow -= length;
    if (stream.recvWindow < 0) return streamError(FLOW_CONTROL_ERROR, id, "stream window exceeded");
    const declared = stream.declaredLength;
    const bytes = stream.bodyBytes + (contentEnd - contentStart);
    if (declared >= 0 && bytes > declared) return streamError(PROTOCOL_ERROR, id, "more DATA than content-length");
    if (bytes > this.#options.maxBodyBytes) return this.#bodyTooLarge(stream);
    stream.receiveData(buf, contentStart, contentEnd);
    // Padding is consumed at once: it never reaches a sink that would give the window back.
    const padding = length - (contentEnd - contentStart);
    if (padding > 0 && !endStream) this.openWindow(stream, padding);
    if (endStream) {
      if (declared >= 0 && bytes !== declared) return streamError(PROTOCOL_ERROR, id, "less DATA than content-length");
      stream.receiveEnd(NO_TRAILERS);
    }
    return null;
  }

  /** What FieldBlocks made of a HEADERS or CONTINUATION frame. */
  #block(result: H2Error | number): H2Error | null {
    if (result === BLOCK_PENDING) return null;
    if (result === BLOCK_EMPTY) return this.#cheap() ? null : this.#calm("flood of empty HEADERS frames");
    if (result !== BLOCK_READY) return result as H2Error;
    const blocks = this.#blocks;
    return this.#fieldBlock(blocks.readyStream, blocks.bytes, blocks.start, blocks.end);
  }

  /** A complete field block: a new request, trailers, or one to decode and drop. */
  #fieldBlock(id: number, block: Buffer, start: number, end: number): H2Error | null {
    if (id <= this.#lastStream) return this.#trailersBlock(id, block, start, end);
    if ((id & 1) === 0) return connectionError(PROTOCOL_ERROR, "a client opened an even stream");
    this.#lastStream = id;
    const endStream = this.#blocks.endStream;
    const stream = new H2Stream(this, id, this.#h2.streamWindowBytes, this.#peer.initialWindow);
    if (endStream) stream.remoteClosed = true;
    const req = new Request(stream);
    stream.request = req;
    const fields = this.#requestFields;
    fields.begin(req, this.#options.limits);
    const result = this.#decoder.decode(block, start, end, fields, this.#h2.maxHeaderListBytes);
    if (result === DECODE_ERROR) return connectionError(COMPRESSION_ERROR, this.#decoder.failure);
    // After our GOAWAY, new streams are not processed (the block was decoded to keep HPACK in step).
    if (id > this.#goawayLast || this.#phase >= PH_GOING_AWAY) return null;
    if (this.#blocks.badPriority) return streamError(PROTOCOL_ERROR, id, "stream depends on itself");
    if (this.#streams.size >= this.#h2.maxConcurrentStreams) {
      this.#recent.reset(id);
      this.#sender.rst(id, REFUSED_STREAM);
      return null;
    }
    const error = this.#startRequest(stream, req, result === DECODE_TOO_LARGE, endStream);
    // A stream answered at once (a cached file) is never listed: only streams that outlive their
    // HEADERS frame are looked up by later frames.
    if (!stream.reset && !(stream.localClosed && stream.remoteClosed)) {
      stream.listed = true;
      this.#streams.set(id, stream);
    } else if (this.#streams.size === 0) {
      this.#idleSince = loopNow();
    }
    return error;
  }

  /** The stream's request: checked, and handed to the handlers (or answered at once). */
  #startRequest(stream: H2Stream, req: Request, tooLarge: boolean, endStream: boolean): H2Error | null {
    const id = stream.id;
    if (tooLarge) {
      this.#answerBeforeHandler(stream, req, new HttpError(431, "HEADERS_TOO_LARGE", "Header section too large"));
      return null;
    }
    const fields = this.#requestFields;
    const error = fields.finish();
    if (fields.malformed !== "") return streamError(PROTOCOL_ERROR, id, `malformed request: ${fields.malformed}`);
    if (error !== null) {
      this.#answerBeforeHandler(stream, req, error);
      return null;
    }
    stream.declaredLength = req.contentLength;
    if (endStream && req.contentLength > 0) return streamError(PROTOCOL_ERROR, id, "content-length without DATA");
    // A body of unknown length follows: framed by the stream, as chunked is for HTTP/1.1.
    if (!endStream && req.contentLength < 0) req.chunked = true;
    if (req.contentLength > this.#options.maxBodyBytes) {
      this.#answerBeforeHandler(stream, req, new HttpError(413, "BODY_TOO_LARGE", "Request body too large"));
      return null;
    }
    const res = new Response(stream, req);
    stream.response = res;
    req.startTime = loopMonotonic();
    if (requestStartChannel.hasSubscribers) requestStartChannel.publish({ request: req });
    dispatchRequest(this.#ctx.handler, req, res, this.#options.errorDetail);
    return null;
  }

  #trailersBlock(id: number, block: Buffer, start: number, end: number): H2Error | null {
    const trailers = this.#trailerFields;
    trailers.begin();
    const result = this.#decoder.decode(block, start, end, trailers, this.#h2.maxHeaderListBytes);
    if (result === DECODE_ERROR) return connectionError(COMPRESSION_ERROR, this.#decoder.failure);
    const stream = this.#streams.get(id);
    if (stream === undefined || stream.reset) return this.#notOpen(id, "HEADERS");
    if (stream.remoteClosed) return streamError(STREAM_CLOSED, id, "HEADERS after the end of the stream");
    // RFC 9113 §8.1: a second field block is trailers, and must end the stream.
    if (!this.#blocks.endStream) return streamError(PROTOCOL_ERROR, id, "trailers without END_STREAM");
    if (result === DECODE_TOO_LARGE || trailers.malformed !== "")
      return streamError(PROTOCOL_ERROR, id, "malformed trailers");
    if (stream.declaredLength >= 0 && stream.bodyBytes !== stream.declaredLength)
      return streamError(PROTOCOL_ERROR, id, "less DATA than content-length");
    stream.receiveEnd(trailers.lines);
    return null;
  }

  #settings(buf: Buffer, start: number, end: number, flags: number, id: number): H2Error | null {
    if (id !== 0) return connectionError(PROTOCOL_ERROR, "SETTINGS on a stream");
    if ((flags & FLAG_ACK) !== 0) {
      return end === start ? null : connectionError(FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
    }
    if (!this.#cheap()) return this.#calm("SETTINGS flood");
    const peer = this.#peer;
    const window = peer.initialWindow;
    const error = readSettings(buf, start, end, peer);
    if (error !== null) return error;
    this.#sender.maxFrame = peer.maxFrame;
    // RFC 9113 §6.9.2: every open stream's window moves by the difference.
    const delta = peer.initialWindow - window;
    if (delta !== 0) {
      if (!this.#sender.adjustWindows(this.#streams.values(), delta))
        return connectionError(FLOW_CONTROL_ERROR, "a stream window overflowed");
      if (delta > 0) this.#sender.resume();
    }
    this.#sender.raw(SETTINGS_ACK);
    return null;
  }

  #windowUpdate(buf: Buffer, start: number, end: number, id: number): H2Error | null {
    if (end - start !== 4) return connectionError(FRAME_SIZE_ERROR, "WINDOW_UPDATE of the wrong size");
    const increment = read31(buf, start);
    if (id === 0) {
      if (increment === 0) return connectionError(PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
      this.#sender.connWindow += increment;
      if (this.#sender.connWindow > MAX_WINDOW)
        return connectionError(FLOW_CONTROL_ERROR, "connection window overflow");
      this.#sender.resume();
      return null;
    }
    if (id > this.#lastStream) return connectionError(PROTOCOL_ERROR, "WINDOW_UPDATE on an idle stream");
    const stream = this.#streams.get(id);
    if (stream === undefined || stream.reset) return this.#cheap() ? null : this.#calm("WINDOW_UPDATE flood");
    if (increment === 0) return streamError(PROTOCOL_ERROR, id, "WINDOW_UPDATE of 0");
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) return streamError(FLOW_CONTROL_ERROR, id, "stream window overflow");
    if (stream.queued > 0 || stream.waiting) this.#sender.pump(stream);
    return null;
  }

  #rstStream(start: number, end: number, id: number): H2Error | null {
    if (id === 0) return connectionError(PROTOCOL_ERROR, "RST_STREAM on stream 0");
    if (end - start !== 4) return connectionError(FRAME_SIZE_ERROR, "RST_STREAM of the wrong size");
    if (id > this.#lastStream) return connectionError(PROTOCOL_ERROR, "RST_STREAM on an idle stream");
    // Rapid reset (CVE-2023-44487): every reset counts, whether or not the response was done.
    if (!this.#guard.reset(loopNow())) return this.#calm("rapid reset");
    const stream = this.#streams.get(id);
    if (stream === undefined || stream.reset) return null;
    stream.closeByReset(true);
    this.#forget(stream);
    this.#recent.closed(id);
    return null;
  }

  // ── 3. Streams: requests answered before a handler, windows, ends ─────────────────────────────

  /** An error found before any handler saw the request: answered on the stream, which is then done. */
  #answerBeforeHandler(stream: H2Stream, req: Request, error: HttpError): void {
    const res = new Response(stream, req);
    stream.response = res;
    res.handled = false;
    req.startTime = loopMonotonic();
    sendEngineError(res, error.status, error.message, this.#options.errorDetail);
  }

  /** A body past the limit: 413 while the response has not started (its end stops the body), else a reset. */
  #bodyTooLarge(stream: H2Stream): H2Error | null {
    this.#failBody(stream, new HttpError(413, "BODY_TOO_LARGE", "Request body too large"));
    return null;
  }

  #failBody(stream: H2Stream, error: HttpError): void {
    const res = stream.response;
    stream.failBody(error);
    if (res !== null && !res.headersSent && !stream.reset)
      sendEngineError(res, error.status, error.message, this.#options.errorDetail);
    else if (!stream.reset) this.reset(stream, CANCEL);
  }

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
    this.#recent.reset(stream.id);
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
    if (stream.forgotten) return;
    stream.forgotten = true;
    if (!stream.reset) this.#recent.closed(stream.id);
    if (!stream.listed) return;
    stream.listed = false;
    this.#streams.delete(stream.id);
    if (this.#streams.size === 0) {
      this.#idleSince = loopNow();
      if (this.#phase === PH_GOING_AWAY) this.#scheduleFlush();
    }
  }

  /** A frame for stream `id` (at most the highest opened) that is not open: what it means. */
  #notOpen(id: number, type: string): H2Error | null {
    if (this.#recent.wasReset(id)) return null;
    if (this.#recent.wasClosed(id)) return connectionError(STREAM_CLOSED, `${type} on a closed stream`);
    return connectionError(PROTOCOL_ERROR, `${type} on a stream that was never opened`);
  }

  // ── 4. Writing, flow of the transport ─────────────────────────────────────────────────────────

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

  // ── 5. Limits, GOAWAY, timeouts, closing ──────────────────────────────────────────────────────

  #cheap(): boolean {
    return this.#guard.cheapFrame(loopNow());
  }

  #calm(why: string): H2Error {
    return connectionError(ENHANCE_YOUR_CALM, why);
  }

  #streamError(error: H2Error): void {
    if (sessionErrorChannel.hasSubscribers) sessionErrorChannel.publish({ session: this, error });
    const stream = this.#streams.get(error.stream);
    if (stream !== undefined) {
      this.reset(stream, error.code);
      return;
    }
    this.#recent.reset(error.stream);
    this.#sender.rst(error.stream, error.code);
  }

  /** RFC 9113 §5.4.1: GOAWAY naming the last stream processed, then close. */
  #connectionError(error: H2Error): void {
    if (sessionErrorChannel.hasSubscribers) sessionErrorChannel.publish({ session: this, error });
    this.#sender.raw(goawayFrame(this.#lastStream, error.code, error.message));
    for (const stream of this.#streams.values()) stream.closeByReset(false);
    this.#streams.clear();
    this.#close();
  }

  /** The server shuts down or reloads: GOAWAY with the last stream id; open streams finish. */
  /** Every open stream's response under way (a reload waits for them before closing the old handlers). */
  collectResponses(out: Response[]): void {
    for (const stream of this.#streams.values()) if (stream.response !== null) out.push(stream.response);
  }

  drain(): void {
    if (this.#phase >= PH_GOING_AWAY) return;
    this.#goaway();
    this.#flush();
  }

  #goaway(): void {
    this.#phase = PH_GOING_AWAY;
    this.#goawayLast = this.#lastStream;
    this.#sender.raw(goawayFrame(this.#lastStream, NO_ERROR));
  }

  #peerGoaway(): void {
    if (this.#phase < PH_GOING_AWAY) this.#goaway();
  }

  onDeadline(now: number): void {
    switch (this.#phase) {
      case PH_PREFACE:
      case PH_SETTINGS:
        if (now - this.#openedAt >= this.#options.headersTimeoutMs) {
          this.#transport.destroy();
          return;
        }
        break;
      case PH_CLOSING:
        this.#transport.destroy();
        return;
      case PH_GONE:
        return;
    }
    if (this.#blocks.stream !== 0 && now - this.#blocks.startedAt >= this.#options.headersTimeoutMs) {
      this.#connectionError(connectionError(PROTOCOL_ERROR, "field block not finished in time"));
      this.#flush();
      return;
    }
    if (this.#backedUpSince !== 0 && now - this.#backedUpSince >= this.#options.sendTimeoutMs) {
      this.#transport.destroy();
      return;
    }
    if (this.#streams.size === 0) {
      if (this.#phase === PH_OPEN && now - this.#idleSince >= this.#options.keepAliveTimeoutMs) {
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
        this.#failBody(stream, new HttpError(408, "BODY_TIMEOUT", "Request body took too long"));
    }
  }

  /** Our side is done: what is queued goes out, then FIN; the client's further bytes are dropped. */
  #close(): void {
    if (this.#phase >= PH_CLOSING) return;
    this.#phase = PH_CLOSING;
    this.#sender.flush();
    this.#partial = null;
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
      if (!stream.remoteClosed) this.#failBody(stream, new HttpError(400, "BAD_CHUNK", "Request body incomplete"));
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
    for (const stream of this.#streams.values()) stream.closeByReset(true);
    this.#streams.clear();
    this.#ctx.sweeper.delete(this);
    this.#ctx.connectionClosed(this);
    if (connectionCloseChannel.hasSubscribers) connectionCloseChannel.publish({ connection: this });
  }
}

const NO_TRAILERS: readonly string[] = [];
