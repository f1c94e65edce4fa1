// One client socket's life, in the order things happen: bytes arrive → a head is scanned and parsed →
// the body is framed → a handler answers → the connection is kept alive for the next (pipelined)
// request or closed gracefully. Timeouts for every phase run on the server's coarse sweeper.
// Not here: parsing rules (parse-request.ts), body framing (request-body.ts), response framing
// (response.ts), the socket (transport.ts), routing (handlers).

import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import { CR, LF } from "../common/bytes.ts";
import { loopMonotonic, loopNow } from "../common/clock.ts";
import type { Sweepable, Sweeper } from "../common/sweeper.ts";
import type { EngineOptions } from "./engine-options.ts";
import { dispatchRequest, sendEngineError } from "./dispatch.ts";
import { HttpError } from "./errors.ts";
import { connectionCloseChannel, connectionOpenChannel, requestStartChannel } from "./events.ts";
import type { Handler } from "./handler.ts";
import { HEAD_INCOMPLETE, type HeadScan, parseRequestHead, scanHead } from "./parse-request.ts";
import { type BodySink, Request, type RequestSource } from "./request.ts";
import { B_DISCARD, B_NONE, B_READ, RequestBody } from "./request-body.ts";
import { H1Writer, type H1Sink } from "./h1-writer.ts";
import { matchPreface, PREFACE_FULL, PREFACE_PARTIAL } from "./h2c.ts";
import { Response } from "./response.ts";
import type { ResponseDefaults } from "./response-defaults.ts";
import type { Transport, TransportOwner } from "./transport.ts";

/** A client connection as its server sees it, whatever its protocol. */
export interface ServerConnection {
  /** Server shutdown: idle connections close now, busy ones after what is in flight. */
  drain(): void;
  /** Closes at once. */
  destroy(): void;
  /** Adds the responses being answered now to `out` (a reload waits for them to retire the old handlers). */
  collectResponses(out: Response[]): void;
}

/**
 * What connections share within one server. A reload may replace `handler` and `options`: a request
 * is answered by the handler current when it starts, and a connection takes new options between
 * requests.
 */
export interface ConnectionContext {
  readonly options: EngineOptions;
  readonly handler: Handler;
  readonly sweeper: Sweeper;
  /** The fields every response carries (Server…); the standard ones when absent. */
  readonly defaults?: ResponseDefaults;
  readonly closing: boolean;
  connectionClosed(connection: ServerConnection): void;
  /**
   * Takes over a connection whose first bytes are the HTTP/2 preface (h2c with prior knowledge,
   * RFC 9113 §3.3), with the bytes read so far; absent when h2c is off.
   */
  readonly upgradeToH2?: (from: ServerConnection, transport: Transport, received: Buffer) => void;
}

const P_HEAD = 0; // waiting for or reading a request head
const P_BUSY = 1; // a request is being answered
const P_DRAIN = 2; // response written, waiting for the socket to drain before the next request
const P_LINGER = 3; // closing: our FIN is sent, discarding whatever the client still sends
const P_GONE = 4; // closed or detached
/** Where a connection is in its life. Switches on it name every phase: `never` checks they do. */
type Phase = typeof P_HEAD | typeof P_BUSY | typeof P_DRAIN | typeof P_LINGER | typeof P_GONE;

const EMPTY = Buffer.alloc(0);
const CONTINUE = Buffer.from("HTTP/1.1 100 Continue\r\n\r\n", "latin1");
const MAX_BUFFERED_BYTES = 1 << 20;
const MAX_LINGER_BYTES = 1 << 20;

export class Connection implements RequestSource, H1Sink, Sweepable, TransportOwner, ServerConnection {
  deadline = 0;
  readonly #socket: Transport;
  readonly #ctx: ConnectionContext;
  #options: EngineOptions;
  readonly #h2: boolean;
  #phase: Phase = P_HEAD;
  #buf: Buffer = EMPTY;
  /**
   * The chunk being read while received() runs: a view of the transport's shared read buffer, which
   * the next read overwrites. Whatever still refers to it when received() returns (unparsed bytes, the
   * current request's head) gets a copy; a body is copied before a sink sees it.
   */
  #view: Buffer | null = null;
  #pos = 0;
  #scan: HeadScan = { pos: -1, lineStart: 0, lines: 0 };
  #req: Request | null = null;
  #res: Response | null = null;
  #requests = 0;
  /** loopMonotonic() of the turn whose read brought the current head's first byte: a request's time starts there. */
  #headAt = 0;
  readonly #body: RequestBody;
  /** Serializes this connection's responses, one after the other. */
  readonly #writer: H1Writer;
  #clientEnded = false;
  #inLoop = false;
  #readPaused = false;
  #lingerBytes = 0;
  #drainListeners: Array<() => void> | null = null;
  /** When the next head must be complete: the headers timeout from accept or from the previous response's end. */
  #headDeadline = 0;

  /**
   * `h2`: the first bytes may be the HTTP/2 preface (a TLS connection, where ALPN chose h2, or a plain
   * one under --h2c); the context's upgradeToH2 then takes the connection over.
   */
  constructor(transport: Transport, ctx: ConnectionContext, h2 = false) {
    this.#socket = transport;
    this.#h2 = h2 && ctx.upgradeToH2 !== undefined;
    this.#ctx = ctx;
    this.#options = ctx.options;
    this.#body = new RequestBody(ctx.options.chunkedLimits, ctx.options.maxBodyBytes);
    this.#writer = new H1Writer(this, ctx.defaults);
    transport.start(this);
    this.deadline = this.#headDeadline = loopNow() + this.#options.headersTimeoutMs;
    ctx.sweeper.add(this);
    if (connectionOpenChannel.hasSubscribers) {
      connectionOpenChannel.publish({ connection: this });
    }
  }

  get remoteAddress(): string {
    return this.#socket.remoteAddress;
  }

  get remotePort(): number {
    return this.#socket.remotePort;
  }

  get localPort(): number {
    return this.#socket.localPort;
  }

  /**
   * True when the response being written will end the connection: the server is shutting down, or
   * the request's body is unread and cannot be skipped (too large, or a 100-continue unanswered). The
   * response head then says "Connection: close" instead of the connection closing without notice.
   */
  get closing(): boolean {
    if (this.#ctx.closing) return true;
    return this.#body.unread && !this.#canDiscardBody();
  }

  /** Whether an unread body can be read and dropped to keep the connection for the next request. */
  #canDiscardBody(): boolean {
    return this.#body.canDiscard(this.#req, this.#options.discardBodyBytes);
  }

  get idle(): boolean {
    return this.#phase === P_HEAD && this.#pos === this.#buf.length;
  }

  /** The response being answered, until its last byte is handed over; null between requests. */
  collectResponses(out: Response[]): void {
    const res = this.activeResponse;
    if (res !== null) out.push(res);
  }

  get activeResponse(): Response | null {
    return this.#res;
  }

  // ── 1. Bytes arrive ──────────────────────────────────────────────────────────────────────────

  received(chunk: Buffer): void {
    if (this.#phase === P_LINGER) {
      this.#lingerBytes += chunk.length;
      if (this.#lingerBytes > MAX_LINGER_BYTES) this.#socket.destroy();
      return;
    }
    if (this.#phase === P_GONE) return;
    if (this.#pos === this.#buf.length) {
      this.#buf = chunk;
      this.#pos = 0;
      this.#view = chunk;
      this.#consume();
      this.#settle(chunk);
      return;
    } else {
      this.#buf = Buffer.concat([this.#buf.subarray(this.#pos), chunk]);
      this.#scan.pos -= this.#pos;
      this.#scan.lineStart -= this.#pos;
      this.#pos = 0;
    }
    this.#consume();
  }

  #consume(): void {
    if (this.#body.flowing) {
      if (!this.#body.paused) this.deadline = loopNow() + this.#bodyTimeoutMs();
      this.#pumpBody();
      return;
    }
    if (this.#phase === P_HEAD) {
      this.#processRequests();
      return;
    }
    // A request is in flight: hold pipelined bytes (or an unwanted body) but stop reading past a bound.
    if (this.#buf.length - this.#pos > MAX_BUFFERED_BYTES) this.#pauseReading();
  }

  /** The end of a read into the shared buffer: copy out what must outlive it. */
  #settle(view: Buffer): void {
    this.#view = null;
    const reqHolds = this.#req !== null && this.#req.raw === view;
    if (reqHolds || (this.#buf === view && this.#pos < view.length)) {
      this.#own(view);
    } else if (this.#buf === view) {
      this.#buf = EMPTY;
      this.#pos = 0;
    }
  }

  /** Replaces the shared-buffer view with a copy at the same offsets (the request head's included). */
  #own(view: Buffer): void {
    const copy = Buffer.from(view);
    if (this.#buf === view) this.#buf = copy;
    if (this.#req !== null && this.#req.raw === view) this.#req.raw = copy;
    if (this.#view === view) this.#view = null;
  }

  // ── 2. Heads are scanned, parsed and dispatched, one request at a time ────────────────────────

  #processRequests(): void {
    if (this.#inLoop) return;
    if (this.#requests === 0 && this.#h2 && this.#pos < this.#buf.length) {
      const verdict = matchPreface(this.#buf, this.#pos, this.#buf.length);
      if (verdict === PREFACE_PARTIAL) return;
      if (verdict === PREFACE_FULL) {
        this.#switchToH2();
        return;
      }
    }
    this.#inLoop = true;
    try {
      while (this.#phase === P_HEAD && this.#nextRequest());
    } finally {
      this.#inLoop = false;
    }
    if (this.#phase === P_HEAD && this.#clientEnded) this.#closeGracefully();
  }

  /** Parses and dispatches one request; true when another may be parsed right away. */
  #nextRequest(): boolean {
    const buf = this.#buf;
    let start = this.#pos;
    const end = buf.length;
    const scan = this.#scan;
    if (scan.pos < start || (scan.lines === 0 && scan.lineStart === start)) {
      // RFC 9112 §2.2: empty lines before a request line (a client's stray CRLF after a body) are
      // dropped here, so a connection holding only them is idle rather than inside a slow head.
      const from = start;
      while (start + 1 < end && buf[start] === CR && buf[start + 1] === LF) start += 2;
      if (start !== from) {
        this.#pos = start;
        scan.pos = -1;
      }
    }
    if (start === end) {
      if (this.#requests > 0) this.deadline = loopNow() + this.#options.keepAliveTimeoutMs;
      if (this.#readPaused) this.#resumeReading();
      return false;
    }
    const fresh = scan.pos < start;
    if (fresh) {
      // The turn's cached clock: when the loop learned of this head's first byte, so the time it
      // waits behind the turn's other connections counts (for a pipelined head, when the previous
      // response let it be looked at).
      this.#headAt = loopMonotonic();
      scan.pos = start;
      scan.lineStart = start;
      scan.lines = 0;
    }
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
      const req = new Request(this);
      if (parseRequestHead(buf, start, end, limits, req) === null) {
        this.#pos = req.headEnd;
        scan.pos = -1;
        return this.#start(req);
      }
    }
    const headEnd = scanHead(buf, start, end, scan, limits);
    if (headEnd === HEAD_INCOMPLETE) {
      // The head's first byte does not restart the headers timeout: it runs from accept or from the
      // previous response's end, so a client cannot stretch it by waiting, then trickling bytes.
      if (fresh) this.deadline = this.#headDeadline;
      // Reading may have been paused while the previous request was answered: the rest of this head
      // still has to come in.
      if (this.#readPaused) this.#resumeReading();
      return false;
    }
    const req = new Request(this);
    if (headEnd instanceof HttpError) {
      this.#failBeforeHandler(req, headEnd);
      return false;
    }
    const error = parseRequestHead(buf, start, headEnd, limits, req);
    this.#pos = headEnd;
    scan.pos = -1;
    if (error !== null) {
      this.#failBeforeHandler(req, error);
      return false;
    }
    return this.#start(req);
  }

  /** A parsed request: checks its declared size, then answers it; true when another may follow at once. */
  #start(req: Request): boolean {
    if (req.contentLength > this.#options.maxBodyBytes) {
      this.#failBeforeHandler(req, new HttpError(413, "BODY_TOO_LARGE", "Request body too large"));
      return false;
    }
    this.#requests++;
    this.#phase = P_BUSY;
    this.deadline = 0;
    this.#body.begin(req);
    const res = new Response(this.#writer, req);
    const max = this.#options.maxRequestsPerConnection;
    if (max > 0 && this.#requests >= max) res.closeAfter();
    this.#req = req;
    this.#res = res;
    req.startTime = this.#headAt;
    if (requestStartChannel.hasSubscribers) requestStartChannel.publish({ request: req });
    dispatchRequest(this.#ctx.handler, req, res, this.#options.errorDetail);
    // A handler that answered at once has moved the phase on (TypeScript's narrowing cannot see it).
    return (this.#phase as Phase) === P_HEAD;
  }

  /** An error found before any handler saw the request: answer it, and close if framing is unsure. */
  #failBeforeHandler(req: Request, error: HttpError): void {
    this.#phase = P_BUSY;
    // Whatever body the client is sending is never read.
    this.#body.abandon();
    this.#buf = EMPTY;
    this.#pos = 0;
    this.#scan.pos = -1;
    const res = new Response(this.#writer, req);
    res.handled = false;
    this.#req = req;
    this.#res = res;
    req.startTime = this.#headAt;
    if (error.close) res.closeAfter();
    this.#sendError(res, error.status, error.message);
  }

  #sendError(res: Response, status: number, detail: string): void {
    sendEngineError(res, status, detail, this.#options.errorDetail);
  }

  // ── 3. The body, when a handler asks for it ──────────────────────────────────────────────────

  startBody(req: Request, sink: BodySink): void {
    if (req !== this.#req) throw new Error("request is no longer current");
    const body = this.#body;
    if (body.state === B_NONE) {
      sink.end([]);
      return;
    }
    if (req.expectContinue && !body.continueSent && this.#pos === this.#buf.length && !this.#res!.headersSent) {
      body.continueSent = true;
      this.#socket.write(CONTINUE);
    }
    body.read(sink, req.maxBodyBytes >= 0 ? req.maxBodyBytes : this.#options.maxBodyBytes);
    this.deadline = loopNow() + this.#bodyTimeoutMs();
    this.#resumeReading();
    this.#pumpBody();
  }

  resumeBody(req: Request): void {
    if (req !== this.#req || !this.#body.paused) return;
    this.#body.paused = false;
    this.deadline = loopNow() + this.#bodyTimeoutMs();
    this.#resumeReading();
    this.#pumpBody();
  }

  #pumpBody(): void {
    const body = this.#body;
    while (body.flowing && !body.paused) {
      const buf = this.#buf;
      const start = this.#pos;
      if (start === buf.length) break;
      // A sink may keep what it is given (a write queue, a file write): never a shared-buffer view.
      if (body.state === B_READ && this.#view !== null && buf === this.#view) {
        this.#own(buf);
        continue;
      }
      const taken = body.take(buf, start, buf.length);
      if (taken instanceof HttpError) {
        this.#bodyFailed(taken);
        return;
      }
      this.#pos = start + taken;
      if (body.done) this.#bodyComplete();
    }
    if (body.paused) {
      // The handler is the slow side now: the body timeout restarts when it resumes.
      this.#pauseReading();
      this.deadline = 0;
      return;
    }
    // The client half-closed and every buffered byte is consumed: the body can never complete.
    if (this.#clientEnded && body.flowing && this.#pos === this.#buf.length) {
      if (body.state === B_DISCARD) {
        body.abandon();
        this.#closeGracefully();
      } else {
        this.#bodyFailed(new HttpError(400, "BAD_CHUNK", "Request body incomplete"));
      }
    }
  }

  #bodyComplete(): void {
    const discarding = this.#body.state === B_DISCARD;
    const trailers = this.#body.trailers;
    const sink = this.#body.finish();
    this.deadline = 0;
    if (discarding) {
      this.#nextPhase();
      return;
    }
    sink?.end(trailers);
  }

  #bodyFailed(error: HttpError | Error): void {
    const sink = this.#body.abandon();
    // Framing is lost: whoever answers this request (even from inside sink.error), the connection
    // ends after it, and the bytes after the failure are never parsed as a request.
    this.#res?.closeAfter();
    sink?.error(error);
    const res = this.#res;
    if (res === null || this.#phase === P_GONE) {
      this.#closeGracefully();
      return;
    }
    if (!res.headersSent && error instanceof HttpError) this.#sendError(res, error.status, error.message);
    else if (!res.finished) res.abort();
  }

  /** The body timeout of the request being read: a route may have tightened the server's. */
  #bodyTimeoutMs(): number {
    const own = this.#req?.bodyTimeoutMs ?? -1;
    return own >= 0 && this.#body.state === B_READ ? own : this.#options.bodyTimeoutMs;
  }

  // ── 4. The response is written; keep alive or close ──────────────────────────────────────────

  write(data: Buffer | string): boolean {
    // An unwritten output buffer is given back by the next read's resetClaim (arena.ts).
    if (this.#phase === P_GONE) return false;
    return this.#socket.write(data);
  }

  outputBuffer(n: number): Buffer {
    return this.#socket.outputBuffer(n);
  }

  cork(): void {
    this.#socket.cork();
  }

  uncork(): void {
    this.#socket.uncork();
  }

  get flushed(): boolean {
    return this.#socket.flushed;
  }

  onDrain(listener: () => void): void {
    (this.#drainListeners ??= []).push(listener);
    if (this.#phase === P_BUSY) this.deadline = loopNow() + this.#options.sendTimeoutMs;
  }

  responseDone(res: Response, keepAlive: boolean): void {
    if (res !== this.#res) return;
    const discardable = this.#canDiscardBody();
    // Whether the client said this was its last request and all of it has been read.
    const clientDone = this.#req !== null && !this.#req.keepAlive && this.#body.consumed;
    this.#res = null;
    this.#req = null;
    let keep = keepAlive && !this.#ctx.closing;
    if (this.#body.unread) {
      if (keep && discardable) {
        this.#body.discard();
        this.deadline = loopNow() + this.#options.bodyTimeoutMs;
        // Reading may have been paused while the unread body piled up during the handler's work.
        this.#resumeReading();
        // Either still discarding (the next request waits) or done, in which case it moved on.
        this.#pumpBody();
        return;
      }
      this.#body.abandon()?.error(new Error("response sent before the body was read"));
      keep = false;
    }
    if (!keep) {
      // The client said this was its last request (Connection: close, or HTTP/1.0 without
      // keep-alive), nothing of its is unread and every response byte is with the kernel (or held
      // for the end of this turn, behind the access log): close then, as nginx does. The kernel
      // still sends our bytes, then FIN; no lingering is needed because a client that announced
      // the end sends nothing more that could turn into a reset.
      if (clientDone && this.#pos === this.#buf.length && this.#socket.settledButHeld) {
        this.#phase = P_LINGER;
        this.deadline = loopNow() + this.#options.sendTimeoutMs;
        this.#socket.closeAfterWrites();
        return;
      }
      this.#closeGracefully();
      return;
    }
    this.#nextPhase();
  }

  /** After a response and its request's body are both complete: next request, or wait for drain. */
  #nextPhase(): void {
    if (this.#socket.needDrain) {
      this.#phase = P_DRAIN;
      this.deadline = loopNow() + this.#options.sendTimeoutMs;
      return;
    }
    this.#adoptOptions();
    this.#phase = P_HEAD;
    this.#awaitNextHead();
    if (!this.#inLoop) this.#processRequests();
  }

  /** A response is over: the idle timeout runs, and the next head's headers timeout starts now. */
  #awaitNextHead(): void {
    const now = loopNow();
    this.deadline = now + this.#options.keepAliveTimeoutMs;
    this.#headDeadline = now + this.#options.headersTimeoutMs;
  }

  drained(): void {
    const listeners = this.#drainListeners;
    if (listeners !== null) {
      this.#drainListeners = null;
      if (this.#phase === P_BUSY) this.deadline = 0;
      for (const l of listeners) l();
    }
    if (this.#phase === P_DRAIN) {
      this.#adoptOptions();
      this.#phase = P_HEAD;
      this.#awaitNextHead();
      this.#processRequests();
    }
  }

  /** Between requests: options a reload gave the server apply from the next request on. */
  #adoptOptions(): void {
    const options = this.#ctx.options;
    if (options === this.#options) return;
    this.#options = options;
    this.#body.setLimits(options.chunkedLimits, options.maxBodyBytes);
  }

  // ── 5. Half-close, timeouts, closing ─────────────────────────────────────────────────────────

  peerEnded(): void {
    this.#clientEnded = true;
    switch (this.#phase) {
      case P_HEAD:
        // Complete pipelined requests were already handled; a partial head can never complete.
        this.#closeGracefully();
        return;
      case P_BUSY:
        // A body still being read may be complete in what is buffered; #pumpBody decides. A body
        // nobody asked for yet is judged when it is read or discarded.
        if (this.#body.flowing) this.#pumpBody();
        return;
      case P_LINGER:
        // Our response may still be held for the end of this turn (behind the access log) or queued
        // in libuv: it goes out first, then the connection closes.
        this.#socket.closeAfterWrites();
        return;
      case P_DRAIN:
        // Once drained, the next request is looked for: none can come, so the connection closes then.
        return;
      case P_GONE:
        return;
      default:
        unhandledPhase(this.#phase);
    }
  }

  onDeadline(): void {
    switch (this.#phase) {
      case P_HEAD:
        // A partial head gets a 408; an idle connection (new or kept alive) just closes.
        if (this.#pos < this.#buf.length) {
          this.#failBeforeHandler(
            new Request(this),
            new HttpError(408, "HEADERS_TIMEOUT", "Request headers took too long"),
          );
        } else {
          this.#closeGracefully();
        }
        return;
      case P_BUSY:
        // A body being read times out with a 408; a body being discarded, or a client that does not
        // take our response bytes (send timeout), is cut.
        if (this.#body.state === B_READ)
          this.#bodyFailed(new HttpError(408, "BODY_TIMEOUT", "Request body took too long"));
        else this.#socket.destroy();
        return;
      case P_DRAIN:
      case P_LINGER:
        this.#socket.destroy();
        return;
      case P_GONE:
        return;
      default:
        unhandledPhase(this.#phase);
    }
  }

  /** Starts closing: our FIN goes after the response; the client's further bytes are read and dropped. */
  #closeGracefully(): void {
    if (this.#phase === P_LINGER || this.#phase === P_GONE) return;
    this.#phase = P_LINGER;
    this.#buf = EMPTY;
    this.#pos = 0;
    this.#resumeReading();
    // The linger time starts once the client has taken our last bytes; until then it is a send.
    this.deadline = loopNow() + this.#options.sendTimeoutMs;
    if (this.#clientEnded) {
      this.#socket.end(() => this.#socket.destroy());
    } else {
      this.#socket.end(() => {
        if (this.#phase === P_LINGER) this.deadline = loopNow() + this.#options.lingerMs;
      });
    }
  }

  /** Server shutdown: idle connections close now, busy ones after their current response. */
  drain(): void {
    if (this.idle || this.#phase === P_DRAIN) this.#closeGracefully();
  }

  /** The client spoke HTTP/2 from its first byte: the HTTP/2 engine takes the transport over. */
  #switchToH2(): void {
    const received = Buffer.from(this.#buf.subarray(this.#pos));
    this.#phase = P_GONE;
    this.#buf = EMPTY;
    this.#pos = 0;
    this.#view = null;
    this.#ctx.sweeper.delete(this);
    this.#ctx.upgradeToH2!(this, this.#socket, received);
  }

  detach(): { socket: Socket; buffered: Buffer } {
    const buffered = Buffer.from(this.#buf.subarray(this.#pos));
    this.#phase = P_GONE;
    this.#buf = EMPTY;
    this.#pos = 0;
    this.#view = null;
    this.#res = null;
    this.#req = null;
    const socket = this.#socket.toSocket();
    this.#release();
    return { socket, buffered };
  }

  destroy(): void {
    this.#socket.destroy();
  }

  closed(): void {
    this.#phase = P_GONE;
    this.#body.abandon()?.error(new Error("client closed the connection"));
    this.#req?.notifyAborted();
    this.#req = null;
    this.#res = null;
    this.#buf = EMPTY;
    this.#drainListeners = null;
    this.#release();
  }

  #release(): void {
    this.#ctx.sweeper.delete(this);
    this.#ctx.connectionClosed(this);
    if (connectionCloseChannel.hasSubscribers) {
      connectionCloseChannel.publish({ connection: this });
    }
  }

  #pauseReading(): void {
    if (this.#readPaused) return;
    this.#readPaused = true;
    this.#socket.pause();
  }

  #resumeReading(): void {
    if (!this.#readPaused) return;
    this.#readPaused = false;
    this.#socket.resume();
  }
}

/** A switch on Phase that reaches here missed a phase: the type checker says so where it is called. */
function unhandledPhase(phase: never): never {
  throw new Error(`connection phase ${String(phase)} not handled`);
}
