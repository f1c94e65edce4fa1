// Stable error codes of the proxy, each with the status the client gets and a message that names the
// upstream and what went wrong, and the kinds of failure that decide retries and health. An upstream
// failure is a value handed around, never a thrown crash.

export type ProxyErrorCode =
  | "NO_UPSTREAM"
  | "NO_DESCRIPTORS"
  | "CONNECT_FAILED"
  | "CONNECT_TIMEOUT"
  | "RESPONSE_TIMEOUT"
  | "IDLE_TIMEOUT"
  | "UPSTREAM_RESET"
  | "BAD_RESPONSE"
  | "UPGRADE_REFUSED";

export class ProxyError {
  readonly status: number;
  readonly code: ProxyErrorCode;
  readonly message: string;

  constructor(status: number, code: ProxyErrorCode, message: string) {
    this.status = status;
    this.code = code;
    this.message = message;
  }
}

/**
 * How far an exchange with an upstream got before it failed: one kind decides both whether the
 * request may go to another upstream and whether the failure counts against this one (as nginx's
 * ngx_http_upstream_next is told an NGX_HTTP_UPSTREAM_FT_* type).
 */
export type FailureKind =
  /** Nothing reached the upstream (refused, unreachable, connect timeout, certificate refused): any request may be retried. */
  | typeof FAIL_CONNECT
  /** The request went out, no response byte came back (reset, response timeout). */
  | typeof FAIL_NO_RESPONSE
  /** Response bytes came, but nothing could be passed on: an invalid, oversized or cut head, or a held small body cut short. */
  | typeof FAIL_PARTIAL
  /** The response was being passed on to the client when it failed: never retried. */
  | typeof FAIL_STREAMING
  /** This process could not even try (out of file descriptors): not the upstream's fault, not worth a retry. */
  | typeof FAIL_LOCAL;

export const FAIL_CONNECT = 0;
export const FAIL_NO_RESPONSE = 1;
export const FAIL_PARTIAL = 2;
export const FAIL_STREAMING = 3;
export const FAIL_LOCAL = 4;
