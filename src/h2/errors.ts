// Stable error values of the HTTP/2 engine (RFC 9113 §5.4): a connection error ends the connection
// with GOAWAY, a stream error resets one stream with RST_STREAM. Parsers and decoders return them;
// the session acts on them. `code` is the RFC's error code, `name` its stable name.

import { ERROR_NAMES } from "./frames.ts";

export class H2Error {
  /** RFC 9113 §7 error code. */
  readonly code: number;
  /** True when the whole connection is at fault (GOAWAY), false for one stream (RST_STREAM). */
  readonly connection: boolean;
  /** The stream at fault (0 for the connection). */
  readonly stream: number;
  readonly message: string;

  constructor(code: number, connection: boolean, stream: number, message: string) {
    this.code = code;
    this.connection = connection;
    this.stream = stream;
    this.message = message;
  }

  get name(): string {
    return ERROR_NAMES[this.code] ?? `0x${this.code.toString(16)}`;
  }
}

/** A connection error: GOAWAY with `code`, then close. */
export function connectionError(code: number, message: string): H2Error {
  return new H2Error(code, true, 0, message);
}

/** A stream error: RST_STREAM with `code` on `stream`; the connection carries on. */
export function streamError(code: number, stream: number, message: string): H2Error {
  return new H2Error(code, false, stream, message);
}
