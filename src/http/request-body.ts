// The request body on one connection (RFC 9112 §6): how it is framed (Content-Length or chunked),
// where its bytes go (a handler's sink, with backpressure, or nowhere while it is discarded so the
// next request can be reached), and whether all of it was read. Not here: where the bytes come from,
// timeouts, or what the connection does when the body ends or fails (connection.ts decides).

import { ChunkedDecoder, type ChunkedLimits } from "./chunked.ts";
import { HttpError } from "./errors.ts";
import type { BodySink, Request } from "./request.ts";

export const B_NONE = 0; // no body, or fully received
export const B_WAIT = 1; // a body follows but nobody asked for it yet
export const B_READ = 2; // delivering to a sink
export const B_DISCARD = 3; // response done; skipping the rest of the body to reach the next request

function ignore(): void {}

export class RequestBody {
  /** B_NONE, B_WAIT, B_READ or B_DISCARD. */
  state = B_NONE;
  /** The sink's data() returned false: nothing more is taken until the handler resumes. */
  paused = false;
  /** True once every byte of the current request's body has been read (or there was none). */
  consumed = true;
  /** `100 Continue` was sent for the current request. */
  continueSent = false;
  /** Set by take() when the body's last byte was taken; finish() clears it. */
  done = false;
  #remaining = 0;
  #decoder: ChunkedDecoder | null = null;
  #sink: BodySink | null = null;
  #limits: ChunkedLimits;
  #maxBytes: number;
  /** The limit of the body being read: the server's, or a route's tighter one. */
  #limit: number;
  /** The chunked decoder's callback while reading; made on the first chunked body only. */
  #deliver: ((data: Buffer) => void) | null = null;

  constructor(limits: ChunkedLimits, maxBytes: number) {
    this.#limits = limits;
    this.#maxBytes = maxBytes;
    this.#limit = maxBytes;
  }

  /** New limits from the next body on (a reload's engine options, taken between requests). */
  setLimits(limits: ChunkedLimits, maxBytes: number): void {
    this.#limits = limits;
    this.#maxBytes = maxBytes;
    this.#limit = maxBytes;
  }

  /** A new request: its body, if it has one, waits for a sink or a discard. */
  begin(req: Request): void {
    this.paused = false;
    this.continueSent = false;
    this.done = false;
    this.#sink = null;
    this.consumed = !req.chunked && req.contentLength <= 0;
    if (req.chunked) {
      this.#decoder = new ChunkedDecoder(this.#limits);
      this.state = B_WAIT;
    } else if (req.contentLength > 0) {
      this.#decoder = null;
      this.#remaining = req.contentLength;
      this.state = B_WAIT;
    } else {
      this.state = B_NONE;
    }
  }

  /** Bytes are being taken (for a sink or to discard them). */
  get flowing(): boolean {
    return this.state === B_READ || this.state === B_DISCARD;
  }

  /** A body is expected that nobody has finished reading. */
  get unread(): boolean {
    return this.state === B_WAIT || this.state === B_READ;
  }

  /** Whether a body nobody asked for can be read and dropped to keep the connection. */
  canDiscard(req: Request | null, discardBytes: number): boolean {
    if (this.state !== B_WAIT) return false;
    const small = this.#decoder !== null || this.#remaining <= discardBytes;
    // With Expect: 100-continue unanswered the client may never send the body: framing is unsure.
    const expectUnanswered = req?.expectContinue && !this.continueSent;
    return small && !expectUnanswered;
  }

  /** Delivers the body to `sink`; `maxBytes` tightens the limit for this body (a route's max_body). */
  read(sink: BodySink, maxBytes = this.#maxBytes): void {
    this.#limit = maxBytes;
    this.#sink = sink;
    this.state = B_READ;
  }

  discard(): void {
    this.#limit = this.#maxBytes;
    this.#sink = null;
    this.state = B_DISCARD;
  }

  /**
   * Takes body bytes from buf[start, end): to the sink when reading (which may set `paused`), nowhere
   * when discarding. Returns how many were taken, or the framing error; `done` tells the body ended.
   */
  take(buf: Buffer, start: number, end: number): number | HttpError {
    const deliver = this.state === B_READ;
    const decoder = this.#decoder;
    if (decoder !== null) {
      const onData = deliver ? (this.#deliver ??= (data: Buffer): void => this.#give(data)) : ignore;
      const progress = decoder.decode(buf, start, end, onData);
      if (progress instanceof HttpError) return progress;
      if (decoder.bodyBytes > this.#limit) return new HttpError(413, "BODY_TOO_LARGE", "Request body too large");
      if (progress.done) this.done = true;
      return progress.consumed;
    }
    const take = Math.min(this.#remaining, end - start);
    this.#remaining -= take;
    if (deliver) this.#give(buf.subarray(start, start + take));
    if (this.#remaining === 0) this.done = true;
    return take;
  }

  #give(data: Buffer): void {
    if (this.#sink!.data(data) === false) this.paused = true;
  }

  /** Trailer field lines of a complete chunked body, as received. */
  get trailers(): readonly string[] {
    return this.#decoder?.trailers ?? [];
  }

  /**
   * The body ended: returns the sink to tell (null when it was discarded). A sink that asked to wait
   * on the last chunk has nothing more to wait for, so nothing stays paused.
   */
  finish(): BodySink | null {
    const sink = this.#sink;
    this.#reset();
    this.consumed = true;
    return sink;
  }

  /** The body will not be read to its end (failed framing, or abandoned): returns the sink to tell. */
  abandon(): BodySink | null {
    const sink = this.#sink;
    this.#reset();
    this.consumed = false;
    return sink;
  }

  #reset(): void {
    this.state = B_NONE;
    this.paused = false;
    this.done = false;
    this.#sink = null;
    this.#decoder = null;
  }
}
