// The request a handler receives, the same whatever protocol it came on: the parsed head
// (request-head.ts: method, target, path, query, fields by name or known-field id, framing, protocol)
// plus what its RequestSource offers — remote address, the body as a flow-controlled stream
// (readBody/BodySink), abort notification. The source is an HTTP/1.1 connection (connection.ts) or an
// HTTP/2 stream (h2/). Not the parser and not the socket: the source owns both and drives this object.

import { Buffer } from "node:buffer";
import { HttpError } from "./errors.ts";
import { RequestHead } from "./request-head.ts";

/** Receives a request body as it arrives. Returning false from data() pauses delivery until resumeBody(). */
export interface BodySink {
  data(chunk: Buffer): boolean;
  /** The body ended; trailer field lines (chunked only) as received. */
  end(trailers: readonly string[]): void;
  /** The body failed: malformed framing, timeout, size limit or the client went away. */
  error(err: HttpError | Error): void;
}

/** Told when the client goes away before its response is complete. */
export type AbortListener = (() => void) | { requestAborted(): void };

function callAbortListener(listener: AbortListener): void {
  if (typeof listener === "function") listener();
  else listener.requestAborted();
}

/**
 * What a connection (HTTP/1.1) or a stream (HTTP/2) offers its request: body delivery with
 * backpressure (startBody, then resumeBody after a sink's data() returned false) and peer details.
 */
export interface RequestSource {
  startBody(request: Request, sink: BodySink): void;
  resumeBody(request: Request): void;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
}

export class Request extends RequestHead {
  readonly #source: RequestSource;
  /** loopMonotonic() (common/clock.ts) of the turn that read the head's first byte (h1) or completed its HEADERS (h2); durations run from here. */
  startTime = 0;
  #bodyStarted = false;
  /** The first abort listener, and any more (most requests have one at most: no array for it). */
  #abortListener: AbortListener | null = null;
  #abortListeners: AbortListener[] | null = null;
  aborted = false;
  /** A route's tighter body limit for this request, set before the body is read; -1: the server's. */
  maxBodyBytes = -1;
  /** A route's tighter body timeout for this request; -1: the server's. */
  bodyTimeoutMs = -1;
  /** The site/route slot the statistics count this request under (observe/route-stats.ts); 0: none. */
  routeSlot = 0;

  constructor(source: RequestSource) {
    super();
    this.#source = source;
  }

  get remoteAddress(): string {
    return this.#source.remoteAddress;
  }

  get remotePort(): number {
    return this.#source.remotePort;
  }

  get localPort(): number {
    return this.#source.localPort;
  }

  get bodyStarted(): boolean {
    return this.#bodyStarted;
  }

  /**
   * Starts delivering the body to `sink` (sending `100 Continue` first when the client asked for it,
   * RFC 9110 §10.1.1). A request without a body ends at once. Call at most once.
   */
  readBody(sink: BodySink): void {
    if (this.#bodyStarted) throw new Error("request body already being read");
    this.#bodyStarted = true;
    this.#source.startBody(this, sink);
  }

  /** Resumes delivery after the sink's data() returned false. */
  resumeBody(): void {
    this.#source.resumeBody(this);
  }

  /** Reads the whole body into memory, failing with a 413 HttpError past `maxBytes`. */
  readBodyFull(maxBytes: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      this.readBody({
        data(chunk) {
          size += chunk.length;
          if (size <= maxBytes) chunks.push(Buffer.from(chunk));
          return true;
        },
        end() {
          if (size > maxBytes) reject(new HttpError(413, "BODY_TOO_LARGE", "Request body too large", true));
          else resolve(Buffer.concat(chunks, size));
        },
        error: reject,
      });
    });
  }

  /**
   * Runs `listener` (a function, or an object's requestAborted(), which spares a closure per request)
   * if the client goes away before the response is complete.
   */
  onAbort(listener: AbortListener): void {
    if (this.aborted) {
      callAbortListener(listener);
      return;
    }
    if (this.#abortListener === null) this.#abortListener = listener;
    else (this.#abortListeners ??= []).push(listener);
  }

  /** Called by the source when the client goes away (socket closed, stream reset) before the response finished. */
  notifyAborted(): void {
    if (this.aborted) return;
    this.aborted = true;
    const first = this.#abortListener;
    const listeners = this.#abortListeners;
    this.#abortListener = null;
    this.#abortListeners = null;
    if (first !== null) callAbortListener(first);
    if (listeners !== null) for (const l of listeners) callAbortListener(l);
  }
}
