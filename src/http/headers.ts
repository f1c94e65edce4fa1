// Field names the engine and handlers look up often, identified once while the head is parsed so a
// later lookup is an array read instead of a scan. Other names are found by scanning (rare).

/** Known request field names, lower-case; the index is the field's id. */
export const KNOWN_FIELDS = [
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "expect",
  "upgrade",
  "if-match",
  "if-none-match",
  "if-modified-since",
  "if-unmodified-since",
  "if-range",
  "range",
  "accept-encoding",
  "accept",
  "request-id",
  "te",
  "keep-alive",
  "proxy-connection",
  "cookie",
  "user-agent",
  "referer",
  "x-forwarded-for",
  "forwarded",
  "authorization",
] as const;

export type KnownField = (typeof KNOWN_FIELDS)[number];

export const F_HOST = 0;
export const F_CONTENT_LENGTH = 1;
export const F_TRANSFER_ENCODING = 2;
export const F_CONNECTION = 3;
export const F_EXPECT = 4;
export const F_UPGRADE = 5;
export const F_IF_MATCH = 6;
export const F_IF_NONE_MATCH = 7;
export const F_IF_MODIFIED_SINCE = 8;
export const F_IF_UNMODIFIED_SINCE = 9;
export const F_IF_RANGE = 10;
export const F_RANGE = 11;
export const F_ACCEPT_ENCODING = 12;
export const F_ACCEPT = 13;
export const F_REQUEST_ID = 14;
export const F_COUNT = KNOWN_FIELDS.length;

/** Field id for a name string (any case), or -1. */
export function knownFieldId(name: string): number {
  return KNOWN_FIELDS.indexOf(name.toLowerCase() as KnownField);
}

// Candidates grouped by name length and first letter (case folded), so most unknown names are
// rejected by one array read and a known one is compared with a single candidate.
const MAX_KNOWN_LENGTH = 31;
const BY_SHAPE: Array<number[] | undefined> = [];
function shapeOf(length: number, first: number): number {
  return length * 32 + ((first | 0x20) & 0x1f);
}
KNOWN_FIELDS.forEach((name, id) => {
  if (name.length > MAX_KNOWN_LENGTH) throw new Error(`known field name too long: ${name}`);
  (BY_SHAPE[shapeOf(name.length, name.charCodeAt(0))] ??= []).push(id);
});

/** Field id for the name bytes buf[start, end), or -1 when the name is not a known one. */
export function identifyField(buf: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length > MAX_KNOWN_LENGTH || length === 0) return -1;
  const candidates = BY_SHAPE[shapeOf(length, buf[start]!)];
  if (candidates === undefined) return -1;
  outer: for (let c = 0; c < candidates.length; c++) {
    const id = candidates[c]!;
    const name = KNOWN_FIELDS[id]!;
    for (let i = 0; i < name.length; i++) {
      let b = buf[start + i]!;
      if (b >= 0x41 && b <= 0x5a) b |= 0x20;
      if (b !== name.charCodeAt(i)) continue outer;
    }
    return id;
  }
  return -1;
}

/** Splits a comma-separated list field value into trimmed, non-empty members (RFC 9110 §5.6.1). */
export function splitList(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(",")) {
    const item = part.trim();
    if (item !== "") out.push(item);
  }
  return out;
}

/** True when a comma-separated list contains `token` (compared case-insensitively). */
export function listHasToken(value: string, token: string): boolean {
  for (const part of value.split(",")) {
    if (part.trim().toLowerCase() === token) return true;
  }
  return false;
}
