// One response read off an upstream socket's bytes: the final head found (interim responses skipped,
// RFC 9110 §15.2) and its body framed by Content-Length, chunks (trailers kept) or the close (RFC 9112
// §6.3), each piece handed on. The head object is reused by every response on the socket. Not here:
// the socket, its phases and timeouts, holding small responses, failures (upstream-connection.ts).

import type { Buffer } from "node:buffer";
import { ChunkedDecoder } from "../http/chunked.ts";
import type { HttpError } from "../http/errors.ts";
import { HEAD_INCOMPLETE, type HeadScan } from "../http/parse-request.ts";
import {
  BODY_CHUNKED,
  BODY_LENGTH,
  BODY_NONE,
  DEFAULT_RESPONSE_LIMITS,
  parseResponseHead,
  parseWholeResponseHead,
  ResponseHead,
  scanResponseHead,
} from "../http/parse-response.ts";

const NO_TRAILERS: readonly string[] = [];

export class UpstreamResponse {
  /** Reused by every response on this socket: listeners use it during onResponseHead/End only. */
  readonly head = new ResponseHead();
  /** Where the last head findHead() looked at starts: after the interim responses it consumed. */
  headStart = 0;
  /** BODY_NONE, BODY_LENGTH, BODY_CHUNKED or BODY_UNTIL_CLOSE (parse-response.ts). */
  bodyKind = BODY_NONE;
  /** Set by take() when the body's last byte was taken. */
  done = false;
  readonly #scan: HeadScan = { pos: 0, lineStart: 0, lines: 0 };
  #remaining = 0;
  #decoder: ChunkedDecoder | null = null;

  /** The next head is looked for from `at` on: the scan of a partial head starts over there. */
  reset(at: number): void {
    this.#scan.pos = at;
    this.#scan.lineStart = at;
    this.#scan.lines = 0;
  }

  /** The bytes before `by` were dropped from the buffer: the scan's offsets move with them. */
  rebase(by: number): void {
    this.#scan.pos -= by;
    this.#scan.lineStart -= by;
  }

  /**
   * Parses heads from buf[start…] until a final one (or a 101), which fills `head`: returns where it
   * ends, HEAD_INCOMPLETE when more bytes are needed, or why the head is invalid; `headStart` tells
   * where the head it stopped at starts.
   */
  findHead(buf: Buffer, start: number): number | HttpError {
    while (true) {
      this.headStart = start;
      const head = this.head;
      let end: number;
      if (this.#scan.pos === start && parseWholeResponseHead(buf, start, DEFAULT_RESPONSE_LIMITS, head)) {
        // The usual case: the whole head is here, parsed in one pass.
        end = head.headEnd;
      } else {
        const scanned = scanResponseHead(buf, start, buf.length, this.#scan, DEFAULT_RESPONSE_LIMITS);
        if (scanned === HEAD_INCOMPLETE || typeof scanned !== "number") return scanned;
        const error = parseResponseHead(buf, start, scanned, DEFAULT_RESPONSE_LIMITS, head);
        if (error !== null) return error;
        end = scanned;
      }
      const status = head.status;
      if (status >= 200 || status === 101) return end;
      // Interim responses (100 Continue, 103 Early Hints) are consumed here: the engine already
      // answered the client's Expect itself (RFC 9110 §15.2).
      this.reset(end);
      start = end;
    }
  }

  /** The body after the final head is framed as `kind` (responseBodyKind). */
  beginBody(kind: number): void {
    this.bodyKind = kind;
    this.done = false;
    if (kind === BODY_LENGTH) this.#remaining = this.head.contentLength;
    else if (kind === BODY_CHUNKED) this.#decoder = new ChunkedDecoder();
  }

  /**
   * Takes body bytes from buf[start, end) and hands each piece of content to `deliver` (a view of
   * buf: the whole of it when it is all content). Returns how many bytes were taken, or the framing
   * error; `done` tells the body ended. A close-delimited body takes everything.
   */
  take(buf: Buffer, start: number, end: number, deliver: (data: Buffer) => void): number | HttpError {
    switch (this.bodyKind) {
      case BODY_LENGTH: {
        const take = Math.min(this.#remaining, end - start);
        this.#remaining -= take;
        if (this.#remaining === 0) this.done = true;
        deliver(take === end - start && start === 0 ? buf : buf.subarray(start, start + take));
        return take;
      }
      case BODY_CHUNKED: {
        const progress = this.#decoder!.decode(buf, start, end, deliver);
        if (!("consumed" in progress)) return progress;
        if (progress.done) this.done = true;
        return progress.consumed;
      }
      default:
        deliver(start === 0 ? buf : buf.subarray(start));
        return end - start;
    }
  }

  /** The body ended: a chunked one's trailer lines (validated), else none. */
  finish(): readonly string[] {
    const trailers = this.#decoder?.trailers ?? NO_TRAILERS;
    this.#decoder = null;
    return trailers;
  }
}
