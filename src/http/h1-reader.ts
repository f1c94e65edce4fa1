// The input side of one HTTP/1.1 connection: the bytes received and not yet consumed (a view of the
// thread's shared read buffer until settled), the request heads found in them with the idle and
// headers timeouts that wait for them, and reading paused or resumed. Not here: head syntax
// (parse-request.ts), bodies (body-pump.ts), phases and what a timeout means (connection.ts).

import { Buffer } from "node:buffer";
import { CR, LF } from "../common/bytes.ts";
import { loopMonotonic, loopNow } from "../common/clock.ts";
import type { EngineOptions } from "./engine-options.ts";
import { HttpError } from "./errors.ts";
import { HEAD_INCOMPLETE, type HeadScan, parseRequestHead, scanHead } from "./parse-request.ts";
import { Request, type RequestSource } from "./request.ts";
import type { Transport } from "./transport.ts";

const EMPTY = Buffer.alloc(0);
const MAX_BUFFERED_BYTES = 1 << 20;

/** The connection a reader reads for: what its requests are answered through, and its deadline. */
export interface ReaderHost extends RequestSource {
  /** When the connection's sweeper fires it (common/sweeper.ts). */
  deadline: number;
}

export class H1Reader {
  // buf, pos and view are plain fields, not accessors: the connection and its body pump read and move
  // them for every request, and they are this object's whole point.
  /** The received bytes; those before `pos` are consumed. */
  buf: Buffer = EMPTY;
  pos = 0;
  /**
   * The chunk being read while the connection's received() runs: a view of the transport's shared
   * read buffer, which the next read overwrites. Whatever still refers to it when received() returns
   * (unparsed bytes, the current request's head) gets a copy (settle); a body is copied before a sink
   * sees it (own).
   */
  view: Buffer | null = null;
  /** The client half-closed: no byte comes after those buffered. */
  ended = false;
  /** loopMonotonic() of the turn whose read brought the current head's first byte: a request's time starts there. */
  headAt = 0;
  /** Why the head nextHead() returned cannot be answered by a handler; null when it can. */
  error: HttpError | null = null;
  #scan: HeadScan = { pos: -1, lineStart: 0, lines: 0 };
  #paused = false;
  /** When the next head must be complete: the headers timeout from accept or from the previous response's end. */
  #headDeadline: number;
  /** A response was completed: from then on, waiting for a head is being idle (the keep-alive timeout). */
  #answered = false;
  #options: EngineOptions;
  readonly #transport: Transport;
  readonly #host: ReaderHost;

  constructor(transport: Transport, host: ReaderHost, options: EngineOptions) {
    this.#transport = transport;
    this.#host = host;
    this.#options = options;
    host.deadline = this.#headDeadline = loopNow() + options.headersTimeoutMs;
  }

  /** Between requests: a reload's options apply from the next head on. */
  setOptions(options: EngineOptions): void {
    this.#options = options;
  }

  /** A response is over: the idle timeout runs, and the next head's headers timeout starts now. */
  awaitHead(): void {
    const now = loopNow();
    this.#host.deadline = now + this.#options.keepAliveTimeoutMs;
    this.#headDeadline = now + this.#options.headersTimeoutMs;
    this.#answered = true;
  }

  /** Every received byte is consumed. */
  get empty(): boolean {
    return this.pos === this.buf.length;
  }

  /**
   * A read: true when `chunk` (a view of the shared read buffer) became the buffer as it is, and
   * settle(chunk) must follow before the read's callback returns; false when it was appended to
   * unconsumed bytes as a copy.
   */
  append(chunk: Buffer): boolean {
    if (this.pos === this.buf.length) {
      this.buf = chunk;
      this.pos = 0;
      this.view = chunk;
      return true;
    }
    const from = this.pos;
    this.buf = Buffer.concat([this.buf.subarray(from), chunk]);
    // The scan's offsets are into the buffer: they move with the bytes it kept.
    this.#scan.pos -= from;
    this.#scan.lineStart -= from;
    this.pos = 0;
    return false;
  }

  /** The end of a read into the shared buffer: copy out what must outlive it (`req`: the current request). */
  settle(view: Buffer, req: Request | null): void {
    this.view = null;
    const reqHolds = req !== null && req.raw === view;
    if (reqHolds || (this.buf === view && this.pos < view.length)) {
      this.own(view, req);
    } else if (this.buf === view) {
      this.buf = EMPTY;
      this.pos = 0;
    }
  }

  /** Replaces the shared-buffer view with a copy at the same offsets (`req`'s head included). */
  own(view: Buffer, req: Request | null): void {
    const copy = Buffer.from(view);
    if (this.buf === view) this.buf = copy;
    if (req !== null && req.raw === view) req.raw = copy;
    if (this.view === view) this.view = null;
  }

  /** Drops every unconsumed byte: none of them will be parsed (a framing error, or closing). */
  clear(): void {
    this.buf = EMPTY;
    this.pos = 0;
    this.#scan.pos = -1;
  }

  /** The unconsumed bytes as a copy of their own, for whoever takes the socket over; the reader is left empty. */
  takeRest(): Buffer {
    const rest = Buffer.from(this.buf.subarray(this.pos));
    this.clear();
    this.view = null;
    return rest;
  }

  /**
   * The next request head among the unconsumed bytes, parsed, with `pos` past it; check `error` first.
   * Null when no complete head is buffered: reading then goes on, under the idle timeout when nothing
   * is buffered, under the headers timeout when a head has begun.
   */
  nextHead(): Request | null {
    const buf = this.buf;
    let start = this.pos;
    const end = buf.length;
    const scan = this.#scan;
    if (scan.pos < start || (scan.lines === 0 && scan.lineStart === start)) {
      // RFC 9112 §2.2: empty lines before a request line (a client's stray CRLF after a body) are
      // dropped here, so a connection holding only them is idle rather than inside a slow head.
      const from = start;
      while (start + 1 < end && buf[start] === CR && buf[start + 1] === LF) start += 2;
      if (start !== from) {
        this.pos = start;
        scan.pos = -1;
      }
    }
    if (start === end) {
      if (this.#answered) this.#host.deadline = loopNow() + this.#options.keepAliveTimeoutMs;
      this.resume();
      return null;
    }
    const fresh = scan.pos < start;
    if (fresh) {
      // The turn's cached clock: when the loop learned of this head's first byte, so the time it
      // waits behind the turn's other connections counts (for a pipelined head, when the previous
      // response let it be looked at).
      this.headAt = loopMonotonic();
      scan.pos = start;
      scan.lineStart = start;
      scan.lines = 0;
    }
    this.error = null;
    const limits = this.#options.limits;
    // Fast path: a read ending in an empty line holds a whole head (the usual case), and the parser
    // finds its end by itself, so no separate scan for it. Whatever fails here (a bad head, or
    // pipelined bytes the guess got wrong) takes the scan-then-parse path below, which decides.
    if (
      fresh &&
      end - start >= 4 &&
      buf[end - 1] === LF &&
      buf[end - 2] === CR &&
      buf[end - 3] === LF &&
      buf[end - 4] === CR
    ) {
      const req = new Request(this.#host);
      if (parseRequestHead(buf, start, end, limits, req) === null) {
        this.pos = req.headEnd;
        scan.pos = -1;
        return req;
      }
    }
    const headEnd = scanHead(buf, start, end, scan, limits);
    if (headEnd === HEAD_INCOMPLETE) {
      // The head's first byte does not restart the headers timeout: it runs from accept or from the
      // previous response's end, so a client cannot stretch it by waiting, then trickling bytes.
      if (fresh) this.#host.deadline = this.#headDeadline;
      // Reading may have been paused while the previous request was answered: the rest of this head
      // still has to come in.
      this.resume();
      return null;
    }
    const req = new Request(this.#host);
    if (headEnd instanceof HttpError) {
      this.error = headEnd;
      return req;
    }
    this.error = parseRequestHead(buf, start, headEnd, limits, req);
    this.pos = headEnd;
    scan.pos = -1;
    return req;
  }

  /** A request is in flight: pipelined bytes (or an unwanted body) are held, but only up to a bound. */
  hold(): void {
    if (this.buf.length - this.pos > MAX_BUFFERED_BYTES) this.pause();
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#transport.pause();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#transport.resume();
  }
}
