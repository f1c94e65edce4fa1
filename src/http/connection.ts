// One client socket's life as a phase machine: bytes arrive → a head is parsed and dispatched → the
// body is read when a handler asks → the response is written → kept alive for the next (pipelined)
// request, or closed. Its parts: input, heads and their timeouts (h1-reader.ts), the body (body-pump.ts),
// responses (h1-writer.ts), the end (connection-end.ts). Not here: parsing, framing, the socket, routing.

import type { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import { loopNow } from "../common/clock.ts";
import type { ConnectionContext, ServerConnection } from "./connection-context.ts";
import type { EngineOptions } from "./engine-options.ts";
import { dispatchRequest, sendEngineError } from "./dispatch.ts";
import { HttpError } from "./errors.ts";
import { ConnectionEnd, releaseConnection } from "./connection-end.ts";
import { connectionOpenChannel, requestStartChannel } from "./events.ts";
import { type BodySink, Request, type RequestSource } from "./request.ts";
import { B_READ, RequestBody } from "./request-body.ts";
import { BodyPump, type BodyHost } from "./body-pump.ts";
import { H1Reader } from "./h1-reader.ts";
import { H1Writer, type H1Sink } from "./h1-writer.ts";
import { matchPreface, PREFACE_FULL, PREFACE_PARTIAL } from "./h2c.ts";
import { Response } from "./response.ts";
import type { Transport, TransportOwner } from "./transport.ts";

const P_HEAD = 0; // waiting for or reading a request head
const P_BUSY = 1; // a request is being answered
const P_DRAIN = 2; // response written, waiting for the socket to drain before the next request
const P_LINGER = 3; // closing: our FIN is sent, discarding whatever the client still sends
const P_GONE = 4; // closed or detached
/** Where a connection is in its life. Switches on it name every phase: `never` checks they do. */
type Phase = typeof P_HEAD | typeof P_BUSY | typeof P_DRAIN | typeof P_LINGER | typeof P_GONE;

export class Connection implements RequestSource, H1Sink, BodyHost, TransportOwner, ServerConnection {
  deadline = 0;
  readonly #socket: Transport;
  readonly #ctx: ConnectionContext;
  #options: EngineOptions;
  readonly #h2: boolean;
  #phase: Phase = P_HEAD;
  /** The received bytes and the heads in them. */
  readonly #reader: H1Reader;
  #req: Request | null = null;
  #res: Response | null = null;
  #requests = 0;
  readonly #body: RequestBody;
  #pump: BodyPump | null = null; // made with the first body read or discarded (#bodyPump): most have none
  /** Serializes this connection's responses, one after the other. */
  readonly #writer: H1Writer;
  #end: ConnectionEnd | null = null; // made when the connection starts to end (#ending)
  #inLoop = false;
  #drainListeners: Array<() => void> | null = null;

  /** `h2`: the first bytes may be the HTTP/2 preface (TLS with ALPN h2, or --h2c); upgradeToH2 takes over. */
  constructor(transport: Transport, ctx: ConnectionContext, h2 = false) {
    this.#socket = transport;
    this.#h2 = h2 && ctx.upgradeToH2 !== undefined;
    this.#ctx = ctx;
    this.#options = ctx.options;
    this.#reader = new H1Reader(transport, this, ctx.options);
    this.#body = new RequestBody(ctx.options.chunkedLimits, ctx.options.maxBodyBytes);
    this.#writer = new H1Writer(this, ctx.defaults);
    transport.start(this);
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
    return this.#phase === P_HEAD && this.#reader.empty;
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
      this.#ending().dropped(chunk.length);
      return;
    }
    if (this.#phase === P_GONE) return;
    if (this.#reader.append(chunk)) {
      this.#consume();
      this.#reader.settle(chunk, this.#req);
    } else {
      this.#consume();
    }
  }

  #consume(): void {
    if (this.#body.flowing) {
      this.#bodyPump().received(this.#req);
      return;
    }
    if (this.#phase === P_HEAD) {
      this.#processRequests();
      return;
    }
    // A request is in flight: hold pipelined bytes (or an unwanted body) but stop reading past a bound.
    this.#reader.hold();
  }

  // ── 2. Heads are scanned, parsed and dispatched, one request at a time ────────────────────────

  #processRequests(): void {
    if (this.#inLoop) return;
    const reader = this.#reader;
    if (this.#requests === 0 && this.#h2 && !reader.empty) {
      const verdict = matchPreface(reader.buf, reader.pos, reader.buf.length);
      if (verdict === PREFACE_PARTIAL) return;
      if (verdict === PREFACE_FULL) {
        this.#phase = P_GONE;
        this.#ending().switchToH2();
        return;
      }
    }
    this.#inLoop = true;
    try {
      while (this.#phase === P_HEAD && this.#nextRequest());
    } finally {
      this.#inLoop = false;
    }
    if (this.#phase === P_HEAD && reader.ended) this.#closeGracefully();
  }

  /** Parses and dispatches one request; true when another may be parsed right away. */
  #nextRequest(): boolean {
    const reader = this.#reader;
    const req = reader.nextHead();
    if (req === null) return false;
    if (reader.error !== null) {
      this.#failBeforeHandler(req, reader.error);
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
    req.startTime = this.#reader.headAt;
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
    this.#reader.clear();
    const res = new Response(this.#writer, req);
    res.handled = false;
    this.#req = req;
    this.#res = res;
    req.startTime = this.#reader.headAt;
    if (error.close) res.closeAfter();
    this.#sendError(res, error.status, error.message);
  }

  #sendError(res: Response, status: number, detail: string): void {
    sendEngineError(res, status, detail, this.#options.errorDetail);
  }

  // ── 3. The body, when a handler asks for it ──────────────────────────────────────────────────

  startBody(req: Request, sink: BodySink): void {
    if (req !== this.#req) throw new Error("request is no longer current");
    this.#bodyPump().start(req, sink, this.#res!.headersSent);
  }

  resumeBody(req: Request): void {
    if (req === this.#req) this.#bodyPump().resume(req);
  }

  /** Called by the body pump: the unread body of the last response was skipped. */
  bodyDiscarded(): void {
    this.#nextPhase();
  }

  /** Called by the body pump, and on a body timeout: framing is lost, the connection ends. */
  bodyFailed(error: HttpError | Error): void {
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
        this.#bodyPump().discard();
        return;
      }
      this.#body.abandon()?.error(new Error("response sent before the body was read"));
      keep = false;
    }
    if (!keep) {
      // The client said this was its last request (Connection: close, or HTTP/1.0 without
      // keep-alive), nothing of its is unread and every response byte is with the kernel (or held
      // for the end of this turn, behind the access log): close then, as nginx does.
      if (clientDone && this.#reader.empty && this.#socket.settledButHeld) {
        this.#phase = P_LINGER;
        this.#ending().closeAfterResponse(this.#options);
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
    this.#awaitNextHead();
    if (!this.#inLoop) this.#processRequests();
  }

  drained(): void {
    const listeners = this.#drainListeners;
    if (listeners !== null) {
      this.#drainListeners = null;
      if (this.#phase === P_BUSY) this.deadline = 0;
      for (const l of listeners) l();
    }
    if (this.#phase === P_DRAIN) {
      this.#awaitNextHead();
      this.#processRequests();
    }
  }

  /** Between requests: the next head is awaited, under the options a reload may have given the server. */
  #awaitNextHead(): void {
    const options = this.#ctx.options;
    if (options !== this.#options) {
      this.#options = options;
      this.#reader.setOptions(options);
      this.#body.setLimits(options.chunkedLimits, options.maxBodyBytes);
      this.#pump?.setOptions(options);
    }
    this.#phase = P_HEAD;
    this.#reader.awaitHead();
  }

  // ── 5. Half-close, timeouts, closing ─────────────────────────────────────────────────────────

  peerEnded(): void {
    this.#reader.ended = true;
    switch (this.#phase) {
      case P_HEAD:
        // Complete pipelined requests were already handled; a partial head can never complete.
        this.#closeGracefully();
        return;
      case P_BUSY:
        // A body still being read may be complete in what is buffered; the pump decides. A body
        // nobody asked for yet is judged when it is read or discarded.
        if (this.#body.flowing) this.#bodyPump().pump(this.#req);
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
        if (!this.#reader.empty) {
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
          this.bodyFailed(new HttpError(408, "BODY_TIMEOUT", "Request body took too long"));
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
    this.#ending().linger(this.#options);
  }

  /** Server shutdown: idle connections close now, busy ones after their current response. */
  drain(): void {
    if (this.idle || this.#phase === P_DRAIN) this.#closeGracefully();
  }

  detach(): { socket: Socket; buffered: Buffer } {
    this.#phase = P_GONE;
    this.#res = null;
    this.#req = null;
    return this.#ending().detach();
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
    this.#reader.clear();
    this.#drainListeners = null;
    if (this.#end !== null) this.#end.release();
    else releaseConnection(this, this.#ctx);
  }

  #bodyPump(): BodyPump {
    return (this.#pump ??= new BodyPump(this.#body, this.#reader, this, this.#options));
  }
  #ending(): ConnectionEnd {
    return (this.#end ??= new ConnectionEnd(this.#socket, this.#reader, this, this.#ctx));
  }
}

/** A switch on Phase that reaches here missed a phase: the type checker says so where it is called. */
function unhandledPhase(phase: never): never {
  throw new Error(`connection phase ${String(phase)} not handled`);
}
