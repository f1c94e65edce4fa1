// One socket to an upstream, in lifecycle order: connect → request head and body written → response
// head parsed (1xx skipped, 101 handed over) → body framed and passed on without copies (a small one
// held until whole) → parked in the keep-alive pool or closed. Every failure becomes one ProxyError and
// its FailureKind for the listener; timeouts run on the proxy's coarse sweeper. Not here: choosing the
// upstream, header rewriting, the client side.

import { Buffer } from "node:buffer";
import type net from "node:net";
import { loopNow } from "../common/clock.ts";
import type { Sweepable, Sweeper } from "../common/sweeper.ts";
import { ChunkedDecoder, LAST_CHUNK } from "../http/chunked.ts";
import type { HttpError } from "../http/errors.ts";
import { HEAD_INCOMPLETE, type HeadScan } from "../http/parse-request.ts";
import {
  BODY_CHUNKED,
  BODY_LENGTH,
  BODY_NONE,
  BODY_UNTIL_CLOSE,
  DEFAULT_RESPONSE_LIMITS,
  parseResponseHead,
  parseWholeResponseHead,
  ResponseHead,
  responseBodyKind,
  scanResponseHead,
} from "../http/parse-response.ts";
import { connectTransport, type TransportOwner } from "../http/transport.ts";
import {
  FAIL_CONNECT,
  FAIL_LOCAL,
  FAIL_NO_RESPONSE,
  FAIL_PARTIAL,
  FAIL_STREAMING,
  type FailureKind,
  ProxyError,
} from "./errors.ts";
import { isForwardableTrailer } from "./forward.ts";
import { TlsTransport, type UpstreamSocket } from "./tls-transport.ts";
import type { Upstream } from "./upstream.ts";

/** What an exchange hears from its upstream connection. */
export interface UpstreamListener {
  /** The socket is connected (called at once for a pooled connection): the request body may flow. */
  onUpstreamConnected(): void;
  /**
   * A final response head (or a 101), with how its body is framed. The head object is reused by the
   * connection's next response: read it now or at onResponseEnd, never later. `wholeBodyEnd` is, when
   * the complete Content-Length body arrived with the head (the usual case for small responses), where
   * it ends in head.raw (it starts at head.headEnd), and then no onResponseData follows, only
   * onResponseEnd, within the same read; otherwise -1. head.raw is a read buffer that is reused:
   * copy the body by onResponseEnd (Response.sendCopied does).
   */
  onResponseHead(head: ResponseHead, bodyKind: number, wholeBodyEnd: number): void;
  /** Body bytes, the listener's to keep (a socket write may hold them until they are sent). */
  onResponseData(chunk: Buffer): void;
  /** The response is complete; `trailers` are a chunked body's trailer lines (validated), else empty. */
  onResponseEnd(trailers: readonly string[]): void;
  /** The socket can take more request body. */
  onUpstreamDrain(): void;
  /** The exchange failed; `kind` says how far it got (errors.ts). */
  onUpstreamError(error: ProxyError, kind: FailureKind): void;
}

export interface UpstreamTimeouts {
  readonly connectMs: number;
  /** Silence allowed while waiting for the response head. */
  readonly responseMs: number;
  /** Silence allowed while a response body streams. */
  readonly idleMs: number;
  /** How long an idle pooled connection is kept. */
  readonly keepAliveMs: number;
}

const C_CONNECTING = 0;
const C_IDLE = 1; // connected, no exchange (pooled, or connected before its first use)
const C_HEAD = 2; // request sent (or being sent), waiting for the response head
const C_BODY = 3; // streaming the response body
const C_DONE = 4; // response complete, waiting for release()
const C_CLOSED = 5;

const EMPTY = Buffer.alloc(0);
const NO_TRAILERS: readonly string[] = [];
/**
 * A response with a Content-Length body up to this size that did not arrive whole with its head is
 * held until it has: passed on only once complete, so an upstream that cuts it short has sent the
 * client nothing and the request can be tried elsewhere. (Larger bodies stream as they come.)
 */
const HOLD_BYTES = 64 << 10;
const CRLF = Buffer.from("\r\n");

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
  #chunkedRequest = false;
  #buf: Buffer = EMPTY;
  #pos = 0;
  #scan: HeadScan = { pos: 0, lineStart: 0, lines: 0 };
  /** Reused by every response on this socket: listeners use it during onResponseHead/End only. */
  readonly #head = new ResponseHead();
  #bodyKind = BODY_NONE;
  #remaining = 0;
  #decoder: ChunkedDecoder | null = null;
  #received = 0;
  #reusable = false;
  /** The whole request (head and body) is written: from then on the response timeout runs. */
  #requestSent = false;
  /** The upstream is not taking request body bytes (a write said wait for drain). */
  #uploadBlocked = false;
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
    this.#chunkedRequest = chunkedRequest;
    this.#requestSent = !hasBody;
    this.#uploadBlocked = false;
    this.#readPaused = false;
    this.#received = 0;
    this.#holding = 0;
    this.#reusable = false;
    this.#scan.pos = 0;
    this.#scan.lineStart = 0;
    this.#scan.lines = 0;
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
    let ok: boolean;
    if (!this.#chunkedRequest) ok = this.#socket.write(chunk);
    else if (chunk.length === 0) ok = true;
    else {
      const socket = this.#socket;
      socket.cork();
      socket.write(Buffer.from(`${chunk.length.toString(16)}\r\n`, "latin1"));
      socket.write(chunk);
      ok = socket.write(CRLF);
      socket.uncork();
    }
    if (!ok) {
      // Now the upstream is the one holding the upload up: its silence counts from here.
      this.#uploadBlocked = true;
      if (this.#phase === C_HEAD) this.#armHeadDeadline();
    }
    return ok;
  }

  /** The request body is complete; a chunked body gets its last chunk and the client's trailers. */
  endBody(trailers: readonly string[]): void {
    this.#requestSent = true;
    if (this.#phase === C_HEAD) this.#armHeadDeadline();
    if (this.#phase === C_CLOSED || !this.#chunkedRequest) return;
    const kept = trailers.filter(isForwardableTrailer);
    if (kept.length === 0) this.#socket.write(LAST_CHUNK);
    else this.#socket.write(Buffer.from(`0\r\n${kept.join("\r\n")}\r\n\r\n`, "latin1"));
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
    if (this.#requestSent) this.deadline = loopNow() + this.#timeouts.responseMs;
    else this.deadline = this.#uploadBlocked ? loopNow() + this.#timeouts.idleMs : 0;
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
    const who = this.upstream.authority;
    switch (this.#phase) {
      case C_CONNECTING:
        this.#fail(
          new ProxyError(
            504,
            "CONNECT_TIMEOUT",
            `Connecting to upstream ${who} timed out after ${this.#timeouts.connectMs} ms`,
          ),
          FAIL_CONNECT,
        );
        return;
      case C_HEAD:
        this.#fail(
          this.#holding > 0
            ? new ProxyError(
                504,
                "IDLE_TIMEOUT",
                `Upstream ${who} went silent for ${this.#timeouts.idleMs} ms mid-response`,
              )
            : new ProxyError(
                504,
                "RESPONSE_TIMEOUT",
                `Upstream ${who} sent no response within ${this.#timeouts.responseMs} ms`,
              ),
          this.#received > 0 ? FAIL_PARTIAL : FAIL_NO_RESPONSE,
        );
        return;
      case C_BODY:
        this.#fail(
          new ProxyError(
            504,
            "IDLE_TIMEOUT",
            `Upstream ${who} went silent for ${this.#timeouts.idleMs} ms mid-response`,
          ),
          FAIL_STREAMING,
        );
        return;
      default:
        this.destroy();
    }
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
    if (this.#uploadBlocked) {
      this.#uploadBlocked = false;
      if (this.#phase === C_HEAD) this.#armHeadDeadline();
    }
    this.#listener?.onUpstreamDrain();
  }

  /** Makes `rest` (the bytes from #pos on) the buffer, keeping the head scan's offsets valid. */
  #rebase(rest: Buffer): void {
    this.#scan.pos -= this.#pos;
    this.#scan.lineStart -= this.#pos;
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
        new ProxyError(
          502,
          "BAD_RESPONSE",
          `Upstream ${this.upstream.authority} response could not be relayed: ${(error as Error).message}`,
        ),
        this.#phase === C_HEAD ? FAIL_PARTIAL : FAIL_STREAMING,
      );
    }
  }

  /** Parses heads until a final one; false when more bytes are needed or the exchange ended. */
  #readHead(): boolean {
    while (true) {
      const buf = this.#buf;
      const start = this.#pos;
      const head = this.#head;
      let end: number;
      if (this.#scan.pos === start && parseWholeResponseHead(buf, start, DEFAULT_RESPONSE_LIMITS, head)) {
        // The usual case: the whole head is here, parsed in one pass.
        end = head.headEnd;
      } else {
        const scanned = scanResponseHead(buf, start, buf.length, this.#scan, DEFAULT_RESPONSE_LIMITS);
        if (scanned === HEAD_INCOMPLETE) return false;
        if (typeof scanned !== "number") return this.#badResponse(scanned, FAIL_PARTIAL);
        const error = parseResponseHead(buf, start, scanned, DEFAULT_RESPONSE_LIMITS, head);
        if (error !== null) return this.#badResponse(error, FAIL_PARTIAL);
        end = scanned;
      }
      this.#pos = end;
      this.#scan.pos = end;
      this.#scan.lineStart = end;
      this.#scan.lines = 0;
      const status = head.status;
      // Interim responses (100 Continue, 103 Early Hints) are consumed here: the engine already
      // answered the client's Expect itself (RFC 9110 §15.2).
      if (status < 200 && status !== 101) continue;
      const listener = this.#listener!;
      if (status === 101) {
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
        this.#scan.pos = start;
        this.#scan.lineStart = start;
        this.#scan.lines = 0;
        this.deadline = loopNow() + this.#timeouts.idleMs;
        return false;
      }
      this.#bodyKind = kind;
      this.#reusable = head.keepAlive && kind !== BODY_UNTIL_CLOSE;
      this.#phase = C_BODY;
      if (kind === BODY_LENGTH && buf.length - end >= head.contentLength) {
        // The whole body is here already: hand it over with the head so it leaves in one write.
        this.#pos = end + head.contentLength;
        listener.onResponseHead(head, kind, this.#pos);
        if (this.#phase === C_BODY) this.#complete();
        return false;
      }
      if (kind === BODY_LENGTH) this.#remaining = head.contentLength;
      else if (kind === BODY_CHUNKED) this.#decoder = new ChunkedDecoder();
      listener.onResponseHead(head, kind, -1);
      if (this.#phase !== C_BODY) return false;
      if (kind === BODY_NONE) {
        this.#complete();
        return false;
      }
      return true;
    }
  }

  #readBody(): void {
    const buf = this.#buf;
    const start = this.#pos;
    const end = buf.length;
    if (start === end) return;
    switch (this.#bodyKind) {
      case BODY_LENGTH: {
        const take = Math.min(this.#remaining, end - start);
        this.#remaining -= take;
        this.#pos = start + take;
        const data = take === end - start && start === 0 ? buf : buf.subarray(start, start + take);
        this.#listener?.onResponseData(this.#volatile ? Buffer.from(data) : data);
        if (this.#remaining === 0 && this.#phase === C_BODY) this.#complete();
        return;
      }
      case BODY_CHUNKED: {
        const decoder = this.#decoder!;
        const progress = decoder.decode(buf, start, end, this.#deliver);
        if (this.#phase !== C_BODY) return;
        if (!("consumed" in progress)) {
          this.#badResponse(progress, FAIL_STREAMING);
          return;
        }
        this.#pos = start + progress.consumed;
        if (progress.done) this.#complete();
        return;
      }
      default: {
        this.#pos = end;
        const data = start === 0 ? buf : buf.subarray(start);
        this.#listener?.onResponseData(this.#volatile ? Buffer.from(data) : data);
      }
    }
  }

  #complete(): void {
    this.#phase = C_DONE;
    const trailers = this.#decoder?.trailers ?? NO_TRAILERS;
    this.#decoder = null;
    this.deadline = 0;
    this.#listener?.onResponseEnd(trailers);
  }

  /** The upstream's FIN: it ends a body framed by the close; anything else in flight failed. */
  peerEnded(): void {
    if (this.#phase === C_BODY && this.#bodyKind === BODY_UNTIL_CLOSE) {
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
    if (phase === C_CONNECTING && this.#listener !== null) {
      const code = this.#socket.error || "closed";
      if (code === "EMFILE" || code === "ENFILE") {
        // No descriptor for a socket: this process is overloaded, the upstream did nothing wrong.
        this.#report(
          new ProxyError(
            503,
            "NO_DESCRIPTORS",
            `Out of file descriptors (${code}) connecting to upstream ${this.upstream.authority}`,
          ),
          FAIL_LOCAL,
        );
        return;
      }
      this.#report(
        new ProxyError(502, "CONNECT_FAILED", `Could not connect to upstream ${this.upstream.authority} (${code})`),
        FAIL_CONNECT,
      );
      return;
    }
    if (phase === C_HEAD || phase === C_BODY) {
      const what =
        phase === C_BODY || this.#holding > 0
          ? "in the middle of the response"
          : this.#received > 0
            ? "in the middle of the response head"
            : "before sending a response";
      const code = this.#socket.error !== "" ? ` (${this.#socket.error})` : "";
      this.#report(
        new ProxyError(
          502,
          "UPSTREAM_RESET",
          `Upstream ${this.upstream.authority} closed the connection ${what}${code}`,
        ),
        phase === C_BODY ? FAIL_STREAMING : this.#received > 0 ? FAIL_PARTIAL : FAIL_NO_RESPONSE,
      );
    }
  }

  #badResponse(error: HttpError, kind: FailureKind): false {
    this.#fail(
      new ProxyError(
        502,
        "BAD_RESPONSE",
        `Upstream ${this.upstream.authority} sent an invalid response: ${error.message}`,
      ),
      kind,
    );
    return false;
  }

  #fail(error: ProxyError, kind: FailureKind): void {
    this.#phase = C_CLOSED;
    this.deadline = 0;
    this.#socket.destroy();
    this.#report(error, kind);
  }

  #report(error: ProxyError, kind: FailureKind): void {
    const listener = this.#listener;
    this.#listener = null;
    listener?.onUpstreamError(error, kind);
  }
}
