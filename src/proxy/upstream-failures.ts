// How each way an exchange with an upstream can fail is told: the ProxyError the client's answer and
// the log carry (status, stable code, a message naming the upstream and what went wrong) and the
// FailureKind that decides retries and health. Pure: the socket (upstream-connection.ts) says where it
// was and what it saw. Not here: deciding to retry (exchange.ts), counting failures (health/).

import {
  FAIL_CONNECT,
  FAIL_LOCAL,
  FAIL_NO_RESPONSE,
  FAIL_PARTIAL,
  FAIL_STREAMING,
  type FailureKind,
  ProxyError,
} from "./errors.ts";
import type { UpstreamTimeouts } from "./upstream-listener.ts";

export interface UpstreamFailure {
  readonly error: ProxyError;
  readonly kind: FailureKind;
}

/**
 * Where an exchange was when it failed: connecting, waiting for the response head (`holding` once a
 * small response is being held until whole), or streaming the response body.
 */
export type ExchangeStage = "connect" | "head" | "body";

/** The upstream stayed silent past the deadline of `stage`; `received` response bytes had come. */
export function timeoutFailure(
  who: string,
  timeouts: UpstreamTimeouts,
  stage: ExchangeStage,
  holding: boolean,
  received: number,
): UpstreamFailure {
  if (stage === "connect")
    return {
      error: new ProxyError(
        504,
        "CONNECT_TIMEOUT",
        `Connecting to upstream ${who} timed out after ${timeouts.connectMs} ms`,
      ),
      kind: FAIL_CONNECT,
    };
  if (stage === "body" || holding) {
    const error = new ProxyError(
      504,
      "IDLE_TIMEOUT",
      `Upstream ${who} went silent for ${timeouts.idleMs} ms mid-response`,
    );
    return { error, kind: stage === "body" ? FAIL_STREAMING : received > 0 ? FAIL_PARTIAL : FAIL_NO_RESPONSE };
  }
  return {
    error: new ProxyError(504, "RESPONSE_TIMEOUT", `Upstream ${who} sent no response within ${timeouts.responseMs} ms`),
    kind: received > 0 ? FAIL_PARTIAL : FAIL_NO_RESPONSE,
  };
}

/** The connection closed before it was established; `code` is the socket's errno name ("" when none). */
export function connectFailure(who: string, code: string): UpstreamFailure {
  const why = code || "closed";
  if (why === "EMFILE" || why === "ENFILE") {
    // No descriptor for a socket: this process is overloaded, the upstream did nothing wrong.
    return {
      error: new ProxyError(503, "NO_DESCRIPTORS", `Out of file descriptors (${why}) connecting to upstream ${who}`),
      kind: FAIL_LOCAL,
    };
  }
  return {
    error: new ProxyError(502, "CONNECT_FAILED", `Could not connect to upstream ${who} (${why})`),
    kind: FAIL_CONNECT,
  };
}

/** The upstream closed the connection while its response was awaited (`head`) or streamed (`body`). */
export function resetFailure(
  who: string,
  stage: "head" | "body",
  holding: boolean,
  received: number,
  code: string,
): UpstreamFailure {
  const what =
    stage === "body" || holding
      ? "in the middle of the response"
      : received > 0
        ? "in the middle of the response head"
        : "before sending a response";
  const detail = code !== "" ? ` (${code})` : "";
  return {
    error: new ProxyError(502, "UPSTREAM_RESET", `Upstream ${who} closed the connection ${what}${detail}`),
    kind: stage === "body" ? FAIL_STREAMING : received > 0 ? FAIL_PARTIAL : FAIL_NO_RESPONSE,
  };
}

/** The response broke HTTP's rules (an invalid head, bad chunk framing). */
export function invalidResponseError(who: string, message: string): ProxyError {
  return new ProxyError(502, "BAD_RESPONSE", `Upstream ${who} sent an invalid response: ${message}`);
}

/** Relaying what the upstream sent threw: the exchange fails instead of the worker. */
export function relayError(who: string, message: string): ProxyError {
  return new ProxyError(502, "BAD_RESPONSE", `Upstream ${who} response could not be relayed: ${message}`);
}
