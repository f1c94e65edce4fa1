// Stable error codes of the proxy, each with the status the client gets and a message that names the
// upstream and what went wrong. An upstream failure is a value handed around, never a thrown crash.

export type ProxyErrorCode =
  | "NO_UPSTREAM"
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
