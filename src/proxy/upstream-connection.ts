// One socket to an upstream, in lifecycle order: connect → request head and body written → response
// head parsed (1xx skipped, 101 handed over) → body framed and passed on without copies (a small one
// held until whole) → parked in the keep-alive pool or closed. Every failure becomes one ProxyError and
// its FailureKind for the listener; timeouts run on the proxy's coarse sweeper. Not here: choosing the
// upstream, header rewriting, the client side; the body's chunk framing (upstream-request.ts), finding
// heads and framing bodies (upstream-response.ts), what each failure is called (upstream-failures.ts).

import { Buffer } from "node:buffer";
import type net from "node:net";
import { loopNow } from "../common/clock.ts";
import type { Sweepable, Sweeper } from "../common/sweeper.ts";
import type { HttpError } from "../http/errors.ts";
import { HEAD_INCOMPLETE } from "../http/parse-request.ts";
import { BODY_LENGTH, BODY_NONE, BODY_UNTIL_CLOSE, responseBodyKind } from "../http/parse-response.ts";
import { connectTransport, type TransportOwner } from "../http/transport.ts";
import { FAIL_PARTIAL, FAIL_STREAMING, type FailureKind, type ProxyError } from "./errors.ts";
import { TlsTransport, type UpstreamSocket } from "./tls-transport.ts";
import type { Upstream } from "./upstream.ts";
import {
  connectFailure,
  invalidResponseError,
  relayError,
  resetFailure,
  timeoutFailure,
  type UpstreamFailure,
} from "./upstream-failures.ts";
import type { UpstreamListener, UpstreamTimeouts } from "./upstream-listener.ts";
import { UpstreamRequest } from "./upstream-request.ts";
import { UpstreamResponse } from "./upstream-response.ts";

const C_CONNECTING = 0;
const C_IDLE = 1; // connected, no exchange (pooled, or connected before its first use)
const C_HEAD = 2; // request sent (or being sent), waiting for the response head
const C_BODY = 3; // streaming the response body
const C_DONE = 4; // response complete, waiting for release()
const C_CLOSED = 5;

const EMPTY = Buffer.alloc(0);
/**
 * A response with a Content-Length body up to this size that did not arrive whole with its head is
 * held until it has: passed on only once complete, so an upstream that cuts it short has sent the
 * client nothing and the request can be tried elsewhere. (Larger bodies stream as they come.)
 */
const HOLD_BYTES = 64 << 10;

// Reads land in the transport's per-thread shared buffer: a small response is parsed and copied to
// the client within the read, so no per-read allocation; whatever must outlive the read (a partial
// head, a streamed body chunk) is copied out of it.
export class UpstreamConnection implements Sweepable, TransportOwner {
  deadline = 0;
  readonly upstream: Upstream<UpstreamConnection>;
  readonly #socket: UpstreamSocket;
  readonly #sweeper: Sweeper;
  readonly #timeouts: UpstreamTimeouts;
  #phase = C_CONNECTING;
  #connected = false;
  /** True once a response completed on this socket: a failure now may be a stale keep-alive race. */
  reused = false;
  #listener: UpstreamListener | null = null;
  #method = "GET";
  readonly #request: UpstreamRequest;
  readonly #response = new UpstreamResponse();
  #buf: Buffer = EMPTY;
  #pos = 0;
  #received = 0;
  #reusable = false;
  /** Reading is paused because the client is slow: no upstream timeout runs meanwhile. */
  #readPaused = false;
  /** Inside received(): #buf may be a view of the shared read buffer, valid only until it returns. */
  #volatile = false;
  /** A small response being held until whole: the bytes it needs from #pos (head and body), else 0. */
  #holding = 0;
  readonly #deliver = (data: Buffer): void => this.#listener?.onResponseData(this.#volatile ? Buffer.from(data) : data);

  constructor(upstream: Upstream<UpstreamConnection>, sweeper: Sweeper, timeouts: UpstreamTimeouts) {
    this.upstream = upstream;
    this.#sweeper = sweeper;
    this.#timeouts = timeouts;
    this.#socket =
      upstream.tls === null
        ? connectTransport(upstream.host, upstream.port, this)
        : TlsTransport.connect(upstream.host, upstream.port, upstream.tls, this);
    this.#request = new UpstreamRequest(this.#socket);
    this.deadline = loopNow() + timeouts.connectMs;
    sweeper.add(this);
  }

  /**
   * Starts an exchange: writes the request head (one buffer); a body, when `hasBody`, follows through
   * writeBody and endBody. The listener hears everything after.
   */
  begin(listener: UpstreamListener, method: string, head: Buffer, chunkedRequest: boolean, hasBody: boolean): void {
    this.#listener = listener;
    this.#method = method;
    this.#request.reset(chunkedRequest, hasBody);
    this.#readPaused = false;
    this.#received = 0;
    this.#holding = 0;
    this.#reusable = false;
    this.#response.reset(0);
    if (this.#connected) {
      this.#phase = C_HEAD;
      this.#armHeadDeadline();
    }
    this.#socket.write(head);
    if (this.#connected) listener.onUpstreamConnected();
  }

  /** A buffer to assemble the next request head in: begin() writes it at once (see http/arena.ts). */
  outputBuffer(n: number): Buffer {
    return this.#socket.outputBuffer(n);
  }

  /** Writes request body bytes (framed as a chunk when the request is chunked); false = wait for drain. */
  writeBody(chunk: Buffer): boolean {
    if (this.#phase === C_CLOSED) return true;
    const ok = this.#request.write(chunk);
    // Now the upstream is the one holding the upload up: its silence counts from here.
    if (!ok && this.#phase === C_HEAD) this.#armHeadDeadline();
    return ok;
  }

  /** The request body is complete; a chunked body gets its last chunk and the client's trailers. */
  endBody(trailers: readonly string[]): void {
    this.#request.sent = true;
    if (this.#phase === C_HEAD) this.#armHeadDeadline();
    if (this.#phase !== C_CLOSED) this.#request.end(trailers);
  }

  /**
   * The client is not taking the response: stop reading, and stop the upstream's idle clock too.
   * A slow client is the engine's send timeout to judge; blaming the upstream would let a few
   * clients that do not read take a healthy upstream out of rotation.
   */
  pause(): void {
    this.#readPaused = true;
    this.#socket.pause();
    if (this.#phase === C_BODY) this.deadline = 0;
  }

  resume(): void {
    this.#readPaused = false;
    this.#socket.resume();
    if (this.#phase === C_BODY) this.deadline = loopNow() + this.#timeouts.idleMs;
  }

  /**
   * While the response head is awaited: the response timeout once the whole request is written (as
   * nginx's proxy_read_timeout), the idle timeout while the upstream holds the upload up, and none
   * while the client is still sending its body (the engine's body timeout covers a slow client).
   */
  #armHeadDeadline(): void {
    if (this.#request.sent) this.deadline = loopNow() + this.#timeouts.responseMs;
    else this.deadline = this.#request.blocked ? loopNow() + this.#timeouts.idleMs : 0;
  }

  /**
   * Ends the exchange after onResponseEnd: the socket goes back to the pool when both messages were
   * complete and framed so the next response can be found, otherwise it closes.
   */
  release(requestComplete: boolean): void {
    this.#listener = null;
    if (this.#phase !== C_DONE || !this.#reusable || !requestComplete || this.#pos < this.#buf.length) {
      this.destroy();
      return;
    }
    this.#buf = EMPTY;
    this.#pos = 0;
    this.#phase = C_IDLE;
    this.reused = true;
    // Reading may have been paused for a slow client during the last exchange; a pooled socket must
    // read again, or the next response (or the upstream's close) would never be seen.
    this.#socket.resume();
    if (!this.upstream.pool.park(this)) {
      this.destroy();
      return;
    }
    this.deadline = loopNow() + this.#timeouts.keepAliveMs;
  }

  /** Takes a pooled connection out for a new exchange. */
  reuse(): void {
    this.deadline = 0;
  }

  /** Hands the socket over after a 101 (with bytes already received past the head). */
  detach(): { socket: net.Socket; buffered: Buffer } {
    const buffered = Buffer.from(this.#buf.subarray(this.#pos));
    this.#buf = EMPTY;
    this.#pos = 0;
    this.#phase = C_CLOSED;
    this.#listener = null;
    this.#sweeper.delete(this);
    const socket = this.#socket.toSocket();
    socket.on("error", () => socket.destroy());
    return { socket, buffered };
  }

  /** True for a pooled connection that can carry a new exchange. */
  get usable(): boolean {
    return this.#phase === C_IDLE && !this.#socket.destroyed;
  }

  destroy(): void {
    if (this.#phase === C_IDLE) this.upstream.pool.remove(this);
    this.#listener = null;
    this.#phase = C_CLOSED;
    this.#socket.destroy();
  }

  onDeadline(): void {
    const phase = this.#phase;
    if (phase !== C_CONNECTING && phase !== C_HEAD && phase !== C_BODY) {
      this.destroy();
      return;
    }
    const stage = phase === C_CONNECTING ? "connect" : phase === C_HEAD ? "head" : "body";
    this.#failWith(timeoutFailure(this.upstream.authority, this.#timeouts, stage, this.#holding > 0, this.#received));
  }

  // ── socket events ────────────────────────────────────────────────────────────────────────────

  connected(): void {
    this.#connected = true;
    if (this.#listener === null) {
      this.#phase = C_IDLE;
      this.deadline = 0;
      return;
    }
    this.#phase = C_HEAD;
    this.#armHeadDeadline();
    this.#listener.onUpstreamConnected();
  }

  /** A read, in the shared buffer: body chunks passed on are copies, unparsed bytes are copied out. */
  received(chunk: Buffer): void {
    this.#volatile = true;
    this.#onData(chunk);
    this.#volatile = false;
    // #buf is either the chunk itself or a copy (a concatenation): only the chunk is overwritten.
    if (this.#buf !== chunk) return;
    if (this.#pos < chunk.length) {
      // Unparsed bytes (a head split across reads) must survive the next read into the shared buffer.
      this.#rebase(Buffer.from(chunk.subarray(this.#pos)));
    } else {
      this.#buf = EMPTY;
      this.#pos = 0;
    }
  }

  drained(): void {
    if (this.#request.blocked) {
      this.#request.blocked = false;
      if (this.#phase === C_HEAD) this.#armHeadDeadline();
    }
    this.#listener?.onUpstreamDrain();
  }

  /** Makes `rest` (the bytes from #pos on) the buffer, keeping the head scan's offsets valid. */
  #rebase(rest: Buffer): void {
    this.#response.rebase(this.#pos);
    this.#buf = rest;
    this.#pos = 0;
  }

  #onData(chunk: Buffer): void {
    if (this.#phase !== C_HEAD && this.#phase !== C_BODY) {
      // Bytes nobody asked for (on an idle or finished connection): it can no longer be trusted.
      this.#reusable = false;
      if (this.#phase === C_IDLE) this.destroy();
      return;
    }
    this.#received += chunk.length;
    if (this.#pos === this.#buf.length) {
      this.#buf = chunk;
      this.#pos = 0;
    } else {
      this.#rebase(Buffer.concat([this.#buf.subarray(this.#pos), chunk]));
    }
    if (this.#holding > 0) {
      // A small response is arriving: silence now is the idle kind, and it is read once whole.
      this.deadline = loopNow() + this.#timeouts.idleMs;
      if (this.#buf.length - this.#pos < this.#holding) return;
      this.#holding = 0;
    }
    try {
      if (this.#phase === C_HEAD && !this.#readHead()) return;
      if (this.#phase === C_BODY) {
        this.deadline = this.#readPaused ? 0 : loopNow() + this.#timeouts.idleMs;
        this.#readBody();
      }
    } catch (error) {
      // Whatever the upstream sent must never take the worker down: this exchange fails instead.
      this.#fail(
        relayError(this.upstream.authority, (error as Error).message),
        this.#phase === C_HEAD ? FAIL_PARTIAL : FAIL_STREAMING,
      );
    }
  }

  /** Reads up to the final head and starts its body; false when more bytes are needed or the exchange ended. */
  #readHead(): boolean {
    const buf = this.#buf;
    const response = this.#response;
    const end = response.findHead(buf, this.#pos);
    const start = response.headStart;
    this.#pos = start;
    if (end === HEAD_INCOMPLETE) return false;
    if (typeof end !== "number") return this.#badResponse(end, FAIL_PARTIAL);
    this.#pos = end;
    response.reset(end);
    const head = response.head;
    const listener = this.#listener!;
    if (head.status === 101) {
      this.#phase = C_DONE;
      this.deadline = 0;
      listener.onResponseHead(head, BODY_NONE, -1);
      return false;
    }
    const kind = responseBodyKind(head, this.#method);
    if (kind === BODY_LENGTH && buf.length - end < head.contentLength && head.contentLength <= HOLD_BYTES) {
      // Not whole yet: keep the head unread (it is parsed again, whole with its body) until it is.
      this.#holding = end - start + head.contentLength;
      this.#pos = start;
      response.reset(start);
      this.deadline = loopNow() + this.#timeouts.idleMs;
      return false;
    }
    response.beginBody(kind);
    this.#reusable = head.keepAlive && kind !== BODY_UNTIL_CLOSE;
    this.#phase = C_BODY;
    if (kind === BODY_LENGTH && buf.length - end >= head.contentLength) {
      // The whole body is here already: hand it over with the head so it leaves in one write.
      this.#pos = end + head.contentLength;
      listener.onResponseHead(head, kind, this.#pos);
      if (this.#phase === C_BODY) this.#complete();
      return false;
    }
    listener.onResponseHead(head, kind, -1);
    if (this.#phase !== C_BODY) return false;
    if (kind === BODY_NONE) {
      this.#complete();
      return false;
    }
    return true;
  }

  #readBody(): void {
    const buf = this.#buf;
    const start = this.#pos;
    if (start === buf.length) return;
    // Each piece is passed on as it comes (a copy while it is a view of the shared read buffer).
    const taken = this.#response.take(buf, start, buf.length, this.#deliver);
    if (typeof taken === "number") this.#pos = start + taken;
    if (this.#phase !== C_BODY) return;
    if (typeof taken !== "number") {
      this.#badResponse(taken, FAIL_STREAMING);
      return;
    }
    if (this.#response.done) this.#complete();
  }

  #complete(): void {
    this.#phase = C_DONE;
    const trailers = this.#response.finish();
    this.deadline = 0;
    this.#listener?.onResponseEnd(trailers);
  }

  /** The upstream's FIN: it ends a body framed by the close; anything else in flight failed. */
  peerEnded(): void {
    if (this.#phase === C_BODY && this.#response.bodyKind === BODY_UNTIL_CLOSE) {
      this.#reusable = false;
      this.#complete();
    }
    // Nothing more can be read: the connection is done either way (closed() reports a cut exchange).
    this.#socket.destroy();
  }

  closed(): void {
    const phase = this.#phase;
    this.#phase = C_CLOSED;
    this.deadline = 0;
    this.#sweeper.delete(this);
    if (phase === C_IDLE) {
      this.upstream.pool.remove(this);
      return;
    }
    const who = this.upstream.authority;
    if (phase === C_CONNECTING && this.#listener !== null) this.#report(connectFailure(who, this.#socket.error));
    else if (phase === C_HEAD || phase === C_BODY)
      this.#report(
        resetFailure(who, phase === C_HEAD ? "head" : "body", this.#holding > 0, this.#received, this.#socket.error),
      );
  }

  #badResponse(error: HttpError, kind: FailureKind): false {
    this.#fail(invalidResponseError(this.upstream.authority, error.message), kind);
    return false;
  }

  #fail(error: ProxyError, kind: FailureKind): void {
    this.#failWith({ error, kind });
  }

  #failWith(failure: UpstreamFailure): void {
    this.#phase = C_CLOSED;
    this.deadline = 0;
    this.#socket.destroy();
    this.#report(failure);
  }

  #report(failure: UpstreamFailure): void {
    const listener = this.#listener;
    this.#listener = null;
    listener?.onUpstreamError(failure.error, failure.kind);
  }
}
