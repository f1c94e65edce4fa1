// The Content-Length field (RFC 9110 §8.6) for both head parsers: 1*DIGIT, and a list or repeated field
// accepted only when every value agrees. Pure: reads the field offsets a parser recorded.

import { HTAB, SP } from "../common/bytes.ts";
import { F_CONTENT_LENGTH } from "./headers.ts";

export const CONTENT_LENGTH_NONE = -1;
export const CONTENT_LENGTH_INVALID = -2;
export const CONTENT_LENGTH_CONFLICT = -3;
export const CONTENT_LENGTH_TOO_LARGE = -4;

/**
 * The declared length from every Content-Length field in `fields` (5 numbers per field, as in
 * RequestHead.fields), or one of the negative CONTENT_LENGTH_* codes.
 */
export function contentLengthOf(buf: Uint8Array, fields: readonly number[]): number {
  let length = CONTENT_LENGTH_NONE;
  for (let k = 0; k < fields.length; k += 5) {
    if (fields[k + 4] !== F_CONTENT_LENGTH) continue;
    const end = fields[k + 3]!;
    let i = fields[k + 2]!;
    while (true) {
      let value = 0;
      const digitsStart = i;
      while (i < end && buf[i]! >= 0x30 && buf[i]! <= 0x39) {
        value = value * 10 + (buf[i]! - 0x30);
        // Stop while the value is still exact; leading zeros do not count.
        if (value >= 1e15) return CONTENT_LENGTH_TOO_LARGE;
        i++;
      }
      if (i === digitsStart) return CONTENT_LENGTH_INVALID;
      if (length !== CONTENT_LENGTH_NONE && value !== length) return CONTENT_LENGTH_CONFLICT;
      length = value;
      while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
      if (i === end) break;
      if (buf[i] !== 0x2c) return CONTENT_LENGTH_INVALID;
      i++;
      while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
    }
  }
  return length;
}
