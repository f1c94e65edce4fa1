// The chunked transfer coding (RFC 9112 §7.1): a decoder that can be fed any split of the input and
// an encoder for response bodies. Pure: bytes in, data slices and state out; no I/O.
// Chunk extensions are parsed for syntax and discarded; their size is bounded. Trailer fields are
// validated like header fields and kept (they are never merged into the head, §7.1.2).

import { Buffer } from "node:buffer";
import { CR, FIELD_VALUE, HEX_VALUE, HTAB, LF, SP, TCHAR } from "../common/bytes.ts";
import { HttpError } from "./errors.ts";

export interface ChunkedLimits {
  /** Longest chunk-size line (size + extensions) in bytes. */
  readonly maxChunkLineBytes: number;
  /** Largest trailer section in bytes. */
  readonly maxTrailerBytes: number;
}

export const DEFAULT_CHUNKED_LIMITS: ChunkedLimits = { maxChunkLineBytes: 4096, maxTrailerBytes: 16384 };

const S_SIZE = 0; // reading hex digits of chunk-size
const S_EXT = 1; // after the size: BWS, chunk extensions, until CR
const S_SIZE_LF = 2; // saw CR after the size line
const S_DATA = 3; // inside chunk data
const S_DATA_CR = 4; // expecting CR after data
const S_DATA_LF = 5; // expecting LF after data
const S_TRAILER = 6; // at the start of a trailer line (or the final CRLF)
const S_TRAILER_LINE = 7; // inside a trailer line
const S_TRAILER_LF = 8; // saw CR ending a trailer line
const S_END_LF = 9; // saw the CR of the final empty line
const S_DONE = 10;

/** What one decode() call found. */
export interface ChunkedProgress {
  /** Bytes of input used (everything up to the end of the message when done). */
  consumed: number;
  done: boolean;
}

export class ChunkedDecoder {
  #state = S_SIZE;
  #size = 0;
  #sizeDigits = 0;
  #remaining = 0;
  #lineBytes = 0;
  #trailerBytes = 0;
  #trailer: number[] = [];
  #ext = X_START;
  readonly #limits: ChunkedLimits;
  /** Trailer field lines as received, without CRLF (latin1), available once done. */
  readonly trailers: string[] = [];
  /** Total decoded data bytes so far. */
  bodyBytes = 0;

  constructor(limits: ChunkedLimits = DEFAULT_CHUNKED_LIMITS) {
    this.#limits = limits;
  }

  get done(): boolean {
    return this.#state === S_DONE;
  }

  /**
   * Decodes buf[start, end). Calls onData with each run of chunk data (a view into buf, not a copy).
   * Returns progress, or an HttpError for malformed input (the connection must then close).
   */
  decode(buf: Buffer, start: number, end: number, onData: (data: Buffer) => void): ChunkedProgress | HttpError {
    let i = start;
    while (i < end) {
      switch (this.#state) {
        case S_SIZE: {
          const b = buf[i]!;
          const v = HEX_VALUE[b]!;
          if (v !== 255) {
            // 13 significant hex digits keep the size below 2^52, far above any body we accept;
            // leading zeros do not count (the line length limit bounds them).
            if ((this.#size > 0 || v > 0) && ++this.#sizeDigits > 13)
              return new HttpError(413, "BODY_TOO_LARGE", "Chunk size too large");
            this.#size = this.#size * 16 + v;
            i++;
            if (++this.#lineBytes > this.#limits.maxChunkLineBytes) return tooLong();
            continue;
          }
          if (this.#lineBytes === 0) return bad("Missing chunk size");
          this.#state = S_EXT;
          continue;
        }
        case S_EXT: {
          const b = buf[i]!;
          if (b === CR) {
            if (
              this.#ext === X_START_WS ||
              this.#ext === X_NAME_START ||
              this.#ext === X_VALUE_START ||
              this.#ext === X_QUOTED ||
              this.#ext === X_ESCAPE
            ) {
              return bad("Incomplete chunk extension");
            }
            this.#state = S_SIZE_LF;
            i++;
            continue;
          }
          if (++this.#lineBytes > this.#limits.maxChunkLineBytes) return tooLong();
          const ext = stepExtension(this.#ext, b);
          if (ext === X_ERROR) return bad(b === LF ? "Bare LF in chunk line" : "Invalid chunk extension");
          this.#ext = ext;
          i++;
          continue;
        }
        case S_SIZE_LF: {
          if (buf[i] !== LF) return bad("CR not followed by LF in chunk line");
          i++;
          this.#lineBytes = 0;
          this.#sizeDigits = 0;
          this.#ext = X_START;
          if (this.#size === 0) {
            this.#state = S_TRAILER;
          } else {
            this.#remaining = this.#size;
            this.#size = 0;
            this.#state = S_DATA;
          }
          continue;
        }
        case S_DATA: {
          const take = Math.min(this.#remaining, end - i);
          onData(buf.subarray(i, i + take));
          this.bodyBytes += take;
          this.#remaining -= take;
          i += take;
          if (this.#remaining === 0) this.#state = S_DATA_CR;
          continue;
        }
        case S_DATA_CR:
          if (buf[i] !== CR) return bad("Chunk data not followed by CRLF");
          this.#state = S_DATA_LF;
          i++;
          continue;
        case S_DATA_LF:
          if (buf[i] !== LF) return bad("Chunk data not followed by CRLF");
          this.#state = S_SIZE;
          i++;
          continue;
        case S_TRAILER: {
          const b = buf[i]!;
          if (b === CR) {
            this.#state = S_END_LF;
            i++;
            continue;
          }
          if (TCHAR[b] !== 1) return bad("Invalid trailer field");
          this.#state = S_TRAILER_LINE;
          this.#trailer = [];
          continue;
        }
        case S_TRAILER_LINE: {
          const b = buf[i]!;
          if (++this.#trailerBytes > this.#limits.maxTrailerBytes) {
            return new HttpError(431, "TRAILERS_TOO_LARGE", "Trailer section too large");
          }
          if (b === CR) {
            this.#state = S_TRAILER_LF;
            i++;
            continue;
          }
          if (FIELD_VALUE[b] !== 1) return bad("Invalid byte in trailer field");
          this.#trailer.push(b);
          i++;
          continue;
        }
        case S_TRAILER_LF: {
          if (buf[i] !== LF) return bad("CR not followed by LF in trailer");
          i++;
          // Not String.fromCharCode(...bytes): a long line would overflow the call stack.
          const line = Buffer.from(this.#trailer).toString("latin1");
          if (!isFieldLine(line)) return bad("Invalid trailer field");
          this.trailers.push(line);
          this.#state = S_TRAILER;
          continue;
        }
        case S_END_LF:
          if (buf[i] !== LF) return bad("CR not followed by LF after trailers");
          i++;
          this.#state = S_DONE;
          return { consumed: i - start, done: true };
        case S_DONE:
          return { consumed: i - start, done: true };
      }
    }
    return { consumed: i - start, done: this.#state === S_DONE };
  }
}

// chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), ext-val = token / quoted-string.
// BWS after the size is allowed only before a ";": "5 \r\n" is not a chunk-size line.
const X_START = 8; // right after the size
const X_START_WS = 9; // whitespace after the size: a ";" must follow
const X_BEFORE_SEMI = 0; // BWS, then ";" (or the line's CR)
const X_NAME_START = 1; // BWS, then the first tchar of a name
const X_NAME = 2;
const X_AFTER_NAME = 3; // BWS, then "=" or ";" or CR
const X_VALUE_START = 4; // BWS, then a token or a quoted-string
const X_VALUE_TOKEN = 5;
const X_QUOTED = 6;
const X_ESCAPE = 7;
const X_ERROR = -1;

function isWs(b: number): boolean {
  return b === SP || b === HTAB;
}

function stepExtension(state: number, b: number): number {
  switch (state) {
    case X_START:
    case X_START_WS:
      return isWs(b) ? X_START_WS : b === 0x3b ? X_NAME_START : X_ERROR;
    case X_BEFORE_SEMI:
      return isWs(b) ? X_BEFORE_SEMI : b === 0x3b ? X_NAME_START : X_ERROR;
    case X_NAME_START:
      return isWs(b) ? X_NAME_START : TCHAR[b] === 1 ? X_NAME : X_ERROR;
    case X_NAME:
      if (TCHAR[b] === 1) return X_NAME;
      return isWs(b) ? X_AFTER_NAME : b === 0x3d ? X_VALUE_START : b === 0x3b ? X_NAME_START : X_ERROR;
    case X_AFTER_NAME:
      return isWs(b) ? X_AFTER_NAME : b === 0x3d ? X_VALUE_START : b === 0x3b ? X_NAME_START : X_ERROR;
    case X_VALUE_START:
      return isWs(b) ? X_VALUE_START : b === 0x22 ? X_QUOTED : TCHAR[b] === 1 ? X_VALUE_TOKEN : X_ERROR;
    case X_VALUE_TOKEN:
      if (TCHAR[b] === 1) return X_VALUE_TOKEN;
      return isWs(b) ? X_BEFORE_SEMI : b === 0x3b ? X_NAME_START : X_ERROR;
    case X_QUOTED:
      // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
      if (b === 0x22) return X_BEFORE_SEMI;
      if (b === 0x5c) return X_ESCAPE;
      return b === HTAB || (b >= 0x20 && b !== 0x7f) ? X_QUOTED : X_ERROR;
    case X_ESCAPE:
      return b === HTAB || (b >= 0x20 && b !== 0x7f) ? X_QUOTED : X_ERROR;
  }
  return X_ERROR;
}

function isFieldLine(line: string): boolean {
  const colon = line.indexOf(":");
  if (colon <= 0) return false;
  for (let k = 0; k < colon; k++) if (TCHAR[line.charCodeAt(k)] !== 1) return false;
  return true;
}

function bad(message: string): HttpError {
  return new HttpError(400, "BAD_CHUNK", message);
}

function tooLong(): HttpError {
  return new HttpError(400, "CHUNK_EXTENSION_TOO_LONG", "Chunk line too long");
}

const CRLF = Buffer.from("\r\n");
export const LAST_CHUNK = Buffer.from("0\r\n\r\n");

/** Frames one non-empty chunk: size line, data, CRLF (three buffers for a vectored write). */
export function encodeChunk(data: Buffer): Buffer[] {
  return [Buffer.from(`${data.length.toString(16)}\r\n`, "latin1"), data, CRLF];
}
