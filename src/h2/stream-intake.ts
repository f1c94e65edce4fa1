// What a client sends on its streams (RFC 9113 §5.1, §6.1, §6.2, §8.1): a field block (HEADERS +
// CONTINUATION) opens a stream whose request is checked and goes to the same handlers as HTTP/1.1's
// (http/dispatch.ts), or answers at once when it is at fault; a second block is trailers; DATA feeds
// the request body against the stream's and the connection's receive windows (§6.9) and the body
// limit. Errors are values: a stream error resets one stream, a connection error ends them all.
// Not here: cutting frames (frame-reader.ts), control frames (frame-dispatch.ts), the response side
// (stream.ts, sender.ts).

import type { Buffer } from "node:buffer";
import { loopMonotonic, loopNow } from "../common/clock.ts";
import type { ConnectionContext } from "../http/connection-context.ts";
import { dispatchRequest, sendEngineError } from "../http/dispatch.ts";
import type { EngineOptions } from "../http/engine-options.ts";
import { HttpError } from "../http/errors.ts";
import { requestStartChannel } from "../http/events.ts";
import { Request } from "../http/request.ts";
import { Response } from "../http/response.ts";
import { connectionError, type H2Error, streamError } from "./errors.ts";
import { BLOCK_EMPTY, BLOCK_PENDING, BLOCK_READY, FieldBlocks } from "./field-block.ts";
import {
  CANCEL,
  COMPRESSION_ERROR,
  FLAG_END_STREAM,
  FLAG_PADDED,
  FLOW_CONTROL_ERROR,
  PROTOCOL_ERROR,
  paddedEnd,
  REFUSED_STREAM,
  STREAM_CLOSED,
} from "./frames.ts";
import { calm, type FloodGuard } from "./guard.ts";
import { DECODE_ERROR, DECODE_TOO_LARGE, HpackDecoder } from "./hpack-decoder.ts";
import type { H2Options } from "./options.ts";
import { RequestFields, TrailerFields } from "./request-fields.ts";
import type { Sender } from "./sender.ts";
import type { PeerSettings } from "./settings.ts";
import { H2Stream } from "./stream.ts";
import type { StreamHost } from "./stream-host.ts";
import type { StreamTable } from "./stream-table.ts";

/** Our connection window: per-stream windows bound what is buffered, so this one can be large. */
export const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** Encoded field block bytes held while CONTINUATION frames come, beyond which the client is cut. */
const BLOCK_BYTES_FACTOR = 4;

export class StreamIntake {
  /** Field blocks as their HEADERS and CONTINUATION frames come. */
  readonly blocks: FieldBlocks;
  readonly #host: StreamHost;
  readonly #ctx: ConnectionContext;
  readonly #options: EngineOptions;
  readonly #h2: H2Options;
  readonly #streams: StreamTable;
  readonly #sender: Sender;
  readonly #guard: FloodGuard;
  readonly #peer: PeerSettings;
  readonly #decoder = new HpackDecoder(4096);
  readonly #requestFields = new RequestFields();
  readonly #trailerFields = new TrailerFields();
  /** Our receive window for the connection (the session's preface opened it to CONNECTION_WINDOW). */
  #recvWindow = CONNECTION_WINDOW;

  constructor(
    host: StreamHost,
    ctx: ConnectionContext,
    h2: H2Options,
    streams: StreamTable,
    sender: Sender,
    guard: FloodGuard,
    peer: PeerSettings,
  ) {
    this.#host = host;
    this.#ctx = ctx;
    this.#options = ctx.options;
    this.#h2 = h2;
    this.#streams = streams;
    this.#sender = sender;
    this.#guard = guard;
    this.#peer = peer;
    this.blocks = new FieldBlocks(h2.maxHeaderFrames, h2.maxHeaderListBytes * BLOCK_BYTES_FACTOR);
  }

  data(buf: Buffer, start: number, end: number, flags: number, id: number): H2Error | null {
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
    if (length === 0 && !endStream && !this.#guard.cheapFrame(loopNow())) return calm("flood of empty DATA frames");
    if (id > this.#streams.lastStream) return connectionError(PROTOCOL_ERROR, "DATA on an idle stream");
    const stream = this.#streams.get(id);
    if (stream === undefined || stream.reset) return this.#streams.notOpen(id, "DATA");
    if (stream.remoteClosed) return streamError(STREAM_CLOSED, id, "DATA after the end of the stream");
    stream.recvWindow -= length;
    if (stream.recvWindow < 0) return streamError(FLOW_CONTROL_ERROR, id, "stream window exceeded");
    const declared = stream.declaredLength;
    const bytes = stream.bodyBytes + (contentEnd - contentStart);
    if (declared >= 0 && bytes > declared) return streamError(PROTOCOL_ERROR, id, "more DATA than content-length");
    if (bytes > this.#options.maxBodyBytes) {
      // 413 while the response has not started (its end stops the body), else a reset.
      this.failBody(stream, new HttpError(413, "BODY_TOO_LARGE", "Request body too large"));
      return null;
    }
    stream.receiveData(buf, contentStart, contentEnd);
    // Padding is consumed at once: it never reaches a sink that would give the window back.
    const padding = length - (contentEnd - contentStart);
    if (padding > 0 && !endStream) this.#host.openWindow(stream, padding);
    if (endStream) {
      if (declared >= 0 && bytes !== declared) return streamError(PROTOCOL_ERROR, id, "less DATA than content-length");
      stream.receiveEnd(NO_TRAILERS);
    }
    return null;
  }

  headers(buf: Buffer, start: number, end: number, flags: number, id: number): H2Error | null {
    return this.#block(this.blocks.headers(buf, start, end, flags, id, loopNow()));
  }

  continuation(buf: Buffer, start: number, end: number, flags: number, id: number): H2Error | null {
    return this.#block(this.blocks.continuation(buf, start, end, flags, id));
  }

  /** The request body will never complete: the handler hears it, the client gets `error` or a reset. */
  failBody(stream: H2Stream, error: HttpError): void {
    const res = stream.response;
    stream.failBody(error);
    if (res !== null && !res.headersSent && !stream.reset)
      sendEngineError(res, error.status, error.message, this.#options.errorDetail);
    else if (!stream.reset) this.#host.reset(stream, CANCEL);
  }

  /** What FieldBlocks made of a HEADERS or CONTINUATION frame. */
  #block(result: H2Error | number): H2Error | null {
    if (result === BLOCK_PENDING) return null;
    if (result === BLOCK_EMPTY) return this.#guard.cheapFrame(loopNow()) ? null : calm("flood of empty HEADERS frames");
    if (result !== BLOCK_READY) return result as H2Error;
    const blocks = this.blocks;
    const id = blocks.readyStream;
    if (id <= this.#streams.lastStream) return this.#trailers(id, blocks.bytes, blocks.start, blocks.end);
    return this.#open(id, blocks.bytes, blocks.start, blocks.end);
  }

  /** A field block on a new stream: a request, or one to decode and drop. */
  #open(id: number, block: Buffer, start: number, end: number): H2Error | null {
    if ((id & 1) === 0) return connectionError(PROTOCOL_ERROR, "a client opened an even stream");
    const streams = this.#streams;
    streams.lastStream = id;
    const endStream = this.blocks.endStream;
    const stream = new H2Stream(this.#host, id, this.#h2.streamWindowBytes, this.#peer.initialWindow);
    if (endStream) stream.remoteClosed = true;
    const req = new Request(stream);
    stream.request = req;
    const fields = this.#requestFields;
    fields.begin(req, this.#options.limits);
    const result = this.#decoder.decode(block, start, end, fields, this.#h2.maxHeaderListBytes);
    if (result === DECODE_ERROR) return connectionError(COMPRESSION_ERROR, this.#decoder.failure);
    // After our GOAWAY, new streams are not processed (the block was decoded to keep HPACK in step).
    if (id > streams.goawayLast) return null;
    if (this.blocks.badPriority) return streamError(PROTOCOL_ERROR, id, "stream depends on itself");
    if (streams.size >= this.#h2.maxConcurrentStreams) {
      streams.recent.reset(id);
      this.#sender.rst(id, REFUSED_STREAM);
      return null;
    }
    const error = this.#startRequest(stream, req, result === DECODE_TOO_LARGE, endStream);
    // A stream answered at once (a cached file) is never listed: only streams that outlive their
    // HEADERS frame are looked up by later frames.
    if (!stream.reset && !(stream.localClosed && stream.remoteClosed)) streams.list(stream);
    else streams.unlisted();
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

  /** An error found before any handler saw the request: answered on the stream, which is then done. */
  #answerBeforeHandler(stream: H2Stream, req: Request, error: HttpError): void {
    const res = new Response(stream, req);
    stream.response = res;
    res.handled = false;
    req.startTime = loopMonotonic();
    sendEngineError(res, error.status, error.message, this.#options.errorDetail);
  }

  /** RFC 9113 §8.1: a second field block on a stream is trailers, and must end the stream. */
  #trailers(id: number, block: Buffer, start: number, end: number): H2Error | null {
    const trailers = this.#trailerFields;
    trailers.begin();
    const result = this.#decoder.decode(block, start, end, trailers, this.#h2.maxHeaderListBytes);
    if (result === DECODE_ERROR) return connectionError(COMPRESSION_ERROR, this.#decoder.failure);
    const stream = this.#streams.get(id);
    if (stream === undefined || stream.reset) return this.#streams.notOpen(id, "HEADERS");
    if (stream.remoteClosed) return streamError(STREAM_CLOSED, id, "HEADERS after the end of the stream");
    if (!this.blocks.endStream) return streamError(PROTOCOL_ERROR, id, "trailers without END_STREAM");
    if (result === DECODE_TOO_LARGE || trailers.malformed !== "")
      return streamError(PROTOCOL_ERROR, id, "malformed trailers");
    if (stream.declaredLength >= 0 && stream.bodyBytes !== stream.declaredLength)
      return streamError(PROTOCOL_ERROR, id, "less DATA than content-length");
    stream.receiveEnd(trailers.lines);
    return null;
  }
}

const NO_TRAILERS: readonly string[] = [];
