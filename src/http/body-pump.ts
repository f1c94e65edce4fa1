// Moves a request body from a connection's received bytes into its RequestBody: when a handler asks
// (with 100 Continue first if the client waits for it), or to discard it; reading pauses while the
// handler's sink is full, and the body timeout runs while the client is the slow side.
// Not here: framing (request-body.ts), what the body's end or failure means for the response (connection.ts).

import { Buffer } from "node:buffer";
import { loopNow } from "../common/clock.ts";
import type { EngineOptions } from "./engine-options.ts";
import { HttpError } from "./errors.ts";
import type { H1Reader } from "./h1-reader.ts";
import type { BodySink, Request } from "./request.ts";
import { B_DISCARD, B_NONE, B_READ, type RequestBody } from "./request-body.ts";

const CONTINUE = Buffer.from("HTTP/1.1 100 Continue\r\n\r\n", "latin1");

/** The connection a pump works for: its deadline, its socket, and what happens when a body ends. */
export interface BodyHost {
  /** When the connection's sweeper fires it (common/sweeper.ts). */
  deadline: number;
  write(data: Buffer): boolean;
  /** A discarded body's last byte was skipped: the connection moves on to the next request. */
  bodyDiscarded(): void;
  /** The body can never be read to its end (framing, limit, timeout, a half-close before the end). */
  bodyFailed(error: HttpError): void;
}

export class BodyPump {
  readonly #body: RequestBody;
  readonly #reader: H1Reader;
  readonly #host: BodyHost;
  #options: EngineOptions;

  constructor(body: RequestBody, reader: H1Reader, host: BodyHost, options: EngineOptions) {
    this.#body = body;
    this.#reader = reader;
    this.#host = host;
    this.#options = options;
  }

  /** Between requests: a reload's options apply from the next body on (the body's own limits: connection.ts). */
  setOptions(options: EngineOptions): void {
    this.#options = options;
  }

  /** A handler reads `req`'s body into `sink`; `answered`: its response head is already out. */
  start(req: Request, sink: BodySink, answered: boolean): void {
    const body = this.#body;
    if (body.state === B_NONE) {
      sink.end([]);
      return;
    }
    // RFC 9110 §10.1.1: the client may wait for this before sending the body; not once a final
    // response is out, nor when body bytes already came without waiting.
    if (req.expectContinue && !body.continueSent && this.#reader.empty && !answered) {
      body.continueSent = true;
      this.#host.write(CONTINUE);
    }
    body.read(sink, req.maxBodyBytes >= 0 ? req.maxBodyBytes : this.#options.maxBodyBytes);
    this.#host.deadline = loopNow() + this.timeoutMs(req);
    this.#reader.resume();
    this.pump(req);
  }

  /** The handler's sink takes data again. */
  resume(req: Request): void {
    if (!this.#body.paused) return;
    this.#body.paused = false;
    this.#host.deadline = loopNow() + this.timeoutMs(req);
    this.#reader.resume();
    this.pump(req);
  }

  /** The response went out before anyone read the body: skip it to reach the next request. */
  discard(): void {
    this.#body.discard();
    this.#host.deadline = loopNow() + this.#options.bodyTimeoutMs;
    // Reading may have been paused while the unread body piled up during the handler's work.
    this.#reader.resume();
    // Either still discarding (the next request waits) or done, in which case the host moved on.
    this.pump(null);
  }

  /** Bytes arrived for a body being read or discarded (`req`: the current request, if any). */
  received(req: Request | null): void {
    if (!this.#body.paused) this.#host.deadline = loopNow() + this.timeoutMs(req);
    this.pump(req);
  }

  /**
   * Takes what is buffered, until the body ends, the sink is full, or bytes run out (`req`: the
   * request whose body is read, whose head may share the read's view).
   */
  pump(req: Request | null): void {
    const body = this.#body;
    const reader = this.#reader;
    while (body.flowing && !body.paused) {
      const buf = reader.buf;
      const start = reader.pos;
      if (start === buf.length) break;
      // A sink may keep what it is given (a write queue, a file write): never a shared-buffer view.
      if (body.state === B_READ && reader.view !== null && buf === reader.view) {
        reader.own(buf, req);
        continue;
      }
      const taken = body.take(buf, start, buf.length);
      if (taken instanceof HttpError) {
        this.#host.bodyFailed(taken);
        return;
      }
      reader.pos = start + taken;
      if (body.done) this.#complete();
    }
    if (body.paused) {
      // The handler is the slow side now: the body timeout restarts when it resumes.
      reader.pause();
      this.#host.deadline = 0;
      return;
    }
    // The client half-closed and every buffered byte is consumed: the body can never complete. (A
    // body being discarded has no reader left to tell: its connection just closes.)
    if (reader.ended && body.flowing && reader.empty) {
      this.#host.bodyFailed(new HttpError(400, "BAD_CHUNK", "Request body incomplete"));
    }
  }

  #complete(): void {
    const discarding = this.#body.state === B_DISCARD;
    const trailers = this.#body.trailers;
    const sink = this.#body.finish();
    this.#host.deadline = 0;
    if (discarding) {
      this.#host.bodyDiscarded();
      return;
    }
    sink?.end(trailers);
  }

  /** The body timeout for `req`'s body: a route may have tightened the server's for one being read. */
  timeoutMs(req: Request | null): number {
    const own = req?.bodyTimeoutMs ?? -1;
    return own >= 0 && this.#body.state === B_READ ? own : this.#options.bodyTimeoutMs;
  }
}
