// Stable error codes of the HTTP engine. A parse or framing failure is a value, not an exception:
// parsers return an HttpError and the connection answers it with `status`, closing when framing is
// no longer certain.

import { reasonPhrase } from "./status.ts";

export type HttpErrorCode =
  | "BAD_REQUEST_LINE"
  | "BAD_METHOD"
  | "BAD_TARGET"
  | "BAD_VERSION"
  | "VERSION_NOT_SUPPORTED"
  | "URI_TOO_LONG"
  | "HEADERS_TOO_LARGE"
  | "TOO_MANY_HEADERS"
  | "BAD_HEADER_NAME"
  | "BAD_HEADER_VALUE"
  | "WHITESPACE_BEFORE_COLON"
  | "OBS_FOLD"
  | "BARE_CR"
  | "BARE_LF"
  | "BAD_CONTENT_LENGTH"
  | "CONFLICTING_CONTENT_LENGTH"
  | "CONTENT_LENGTH_WITH_TRANSFER_ENCODING"
  | "TRANSFER_ENCODING_IN_HTTP10"
  | "CHUNKED_NOT_LAST"
  | "UNKNOWN_TRANSFER_CODING"
  | "MISSING_HOST"
  | "DUPLICATE_HOST"
  | "BAD_HOST"
  | "BAD_CHUNK"
  | "CHUNK_EXTENSION_TOO_LONG"
  | "TRAILERS_TOO_LARGE"
  | "BODY_TOO_LARGE"
  | "EXPECTATION_FAILED"
  | "HEADERS_TIMEOUT"
  | "BODY_TIMEOUT"
  | "HANDLER_FAILED"
  | "BAD_STATUS_LINE";

/** Terse error bodies that differ from the reason phrase (the seed-000 wording). */
const TERSE_REASON: Readonly<Record<number, string>> = { 505: "Version Not Supported" };

/** The body of an engine error response: "Bad Request: <detail>" with details on, else the reason. */
export function errorBody(status: number, detail: string, withDetail: boolean): string {
  const reason = reasonPhrase(status);
  return withDetail ? `${reason}: ${detail}\n` : `${TERSE_REASON[status] ?? reason}\n`;
}

export class HttpError {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly message: string;
  /** True when the bytes after this point can no longer be framed: respond, then close. */
  readonly close: boolean;

  constructor(status: number, code: HttpErrorCode, message: string, close = true) {
    this.status = status;
    this.code = code;
    this.message = message;
    this.close = close;
  }
}

export function isHttpError(value: unknown): value is HttpError {
  return value instanceof HttpError;
}

export type TransportErrorCode = "TRANSPORT_UNAVAILABLE" | "TRANSPORT_UNKNOWN";

/** The transport asked for cannot run here, or PORTICO_TRANSPORT names none (transport.ts). */
export class TransportError {
  readonly code: TransportErrorCode;
  readonly message: string;

  constructor(code: TransportErrorCode, message: string) {
    this.code = code;
    this.message = message;
  }
}
