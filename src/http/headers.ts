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
  // Named by the proxy's forwarding rules (hop-by-hop, rebuilt or replaced fields).
  "via",
  "date",
  "server",
  "trailer",
  "proxy-authorization",
  "proxy-authenticate",
  "x-forwarded-proto",
  "x-forwarded-host",
  // Named by CORS (route middleware).
  "origin",
  "access-control-request-method",
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
export const F_COOKIE = 18;
export const F_AUTHORIZATION = 23;
export const F_ORIGIN = 32;
export const F_ACCESS_CONTROL_REQUEST_METHOD = 33;
export const F_COUNT = KNOWN_FIELDS.length;

/** Field id for a name string (any case), or -1. */
export function knownFieldId(name: string): number {
  return KNOWN_FIELDS.indexOf(name.toLowerCase() as KnownField);
}

// A known name is found by one read of a table indexed by the name's length, first and last byte
// (case folded), then one comparison with the single candidate there. Field names reach this
// function already validated as tokens (RFC 9110 §5.1), and known names are lower-case letters and
// hyphens: OR-ing 0x20 into a token byte yields a lower-case letter only from that letter in either
// case, so the comparison below is exact.
const MAX_KNOWN_LENGTH = 31;
const SLOT = new Int8Array(32 * 32 * 32).fill(-1);
/** The known names' bytes, each at NAME_AT[id]. */
const NAME_BYTES = new Uint8Array(KNOWN_FIELDS.reduce((n, name) => n + name.length, 0));
const NAME_AT = new Uint16Array(KNOWN_FIELDS.length);
function slotOf(length: number, first: number, last: number): number {
  return (length << 10) | ((first & 0x1f) << 5) | (last & 0x1f);
}
KNOWN_FIELDS.reduce((at, name, id) => {
  if (!/^[a-z-]+$/.test(name) || name.length > MAX_KNOWN_LENGTH) throw new Error(`unusable known field name: ${name}`);
  const slot = slotOf(name.length, name.charCodeAt(0), name.charCodeAt(name.length - 1));
  if (SLOT[slot] !== -1) throw new Error(`known field names share a slot: ${KNOWN_FIELDS[SLOT[slot]!]} and ${name}`);
  SLOT[slot] = id;
  NAME_AT[id] = at;
  for (let i = 0; i < name.length; i++) NAME_BYTES[at + i] = name.charCodeAt(i);
  return at + name.length;
}, 0);

/** Field id for the token bytes buf[start, end), or -1 when the name is not a known one. */
export function identifyField(buf: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length > MAX_KNOWN_LENGTH || length === 0) return -1;
  const id = SLOT[slotOf(length, buf[start]!, buf[end - 1]!)]!;
  if (id === -1) return -1;
  const at = NAME_AT[id]! - start;
  for (let i = start; i < end; i++) if ((buf[i]! | 0x20) !== NAME_BYTES[at + i]) return -1;
  return id;
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
