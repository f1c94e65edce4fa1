// The contract between one upstream socket (upstream-connection.ts) and the exchange it serves: what
// the exchange hears, in order, and the time limits the socket keeps. Not here: the socket itself.

import type { Buffer } from "node:buffer";
import type { ResponseHead } from "../http/parse-response.ts";
import type { FailureKind, ProxyError } from "./errors.ts";

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
