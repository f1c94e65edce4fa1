// The first bytes a client sends on a TLS port, read before OpenSSL sees them: whether they open a
// TLS handshake or are a plain HTTP request (answered 400, as nginx does, instead of a TLS alert the
// client cannot show), and, when a TLS-ALPN-01 validation may be under way, the ClientHello's SNI
// name and ALPN list (RFC 8446 §4.1.2, RFC 6066 §3, RFC 7301 §3.1). Pure: bytes in, values out.

/** A TLS record carrying a handshake message (RFC 8446 §5.1, ContentType handshake = 22). */
const HANDSHAKE_RECORD = 22;
const CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;
/** The largest record a ClientHello may come in (RFC 8446 §5.1: 2^14 bytes plus the header). */
export const MAX_HELLO_RECORD = 5 + (1 << 14);

export const FIRST_TLS = 0;
export const FIRST_HTTP = 1;
export const FIRST_OTHER = 2;

/** What the first byte says: a handshake record, an HTTP method's first letter, or neither. */
export function classifyFirstByte(byte: number): number {
  if (byte === HANDSHAKE_RECORD) return FIRST_TLS;
  // Methods are tokens (RFC 9110 §9.1); every registered one starts with an upper-case letter.
  if (byte >= 0x41 && byte <= 0x5a) return FIRST_HTTP;
  return FIRST_OTHER;
}

export interface ClientHello {
  /** The SNI host name in lower case, or "" when none was sent. */
  readonly servername: string;
  /** The ALPN ids offered, in the client's order. */
  readonly protocols: readonly string[];
}

/**
 * How many bytes the first record needs in all (header included), or -1 while the 5-byte header is
 * not complete.
 */
export function firstRecordLength(bytes: Uint8Array): number {
  if (bytes.length < 5) return -1;
  return 5 + ((bytes[3]! << 8) | bytes[4]!);
}

/**
 * Reads SNI and ALPN from a ClientHello in the first record. Null when the bytes are not a
 * ClientHello or it does not fit in the first record (then no challenge answer is attempted).
 */
export function parseClientHello(bytes: Uint8Array): ClientHello | null {
  const recordEnd = firstRecordLength(bytes);
  if (recordEnd < 0 || bytes.length < recordEnd || bytes[0] !== HANDSHAKE_RECORD) return null;
  let p = 5;
  if (bytes[p] !== CLIENT_HELLO) return null;
  const helloEnd = p + 4 + ((bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!);
  if (helloEnd > recordEnd) return null;
  p += 4 + 2 + 32; // type and length, legacy_version, random
  if (p >= helloEnd) return null;
  p += 1 + bytes[p]!; // legacy_session_id
  if (p + 2 > helloEnd) return null;
  p += 2 + ((bytes[p]! << 8) | bytes[p + 1]!); // cipher_suites
  if (p >= helloEnd) return null;
  p += 1 + bytes[p]!; // legacy_compression_methods
  let servername = "";
  const protocols: string[] = [];
  if (p + 2 > helloEnd) return { servername, protocols };
  const extensionsEnd = p + 2 + ((bytes[p]! << 8) | bytes[p + 1]!);
  if (extensionsEnd > helloEnd) return null;
  p += 2;
  while (p + 4 <= extensionsEnd) {
    const type = (bytes[p]! << 8) | bytes[p + 1]!;
    const length = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    const start = p + 4;
    const end = start + length;
    if (end > extensionsEnd) return null;
    if (type === EXT_SERVER_NAME && length >= 5) {
      // server_name_list: one host_name entry (type 0) in practice.
      if (bytes[start + 2] === 0) {
        const nameLength = (bytes[start + 3]! << 8) | bytes[start + 4]!;
        if (start + 5 + nameLength <= end) servername = latin1(bytes, start + 5, start + 5 + nameLength).toLowerCase();
      }
    } else if (type === EXT_ALPN && length >= 2) {
      let q = start + 2;
      const listEnd = Math.min(end, start + 2 + ((bytes[start]! << 8) | bytes[start + 1]!));
      while (q < listEnd) {
        const n = bytes[q]!;
        if (n === 0 || q + 1 + n > listEnd) break;
        protocols.push(latin1(bytes, q + 1, q + 1 + n));
        q += 1 + n;
      }
    }
    p = end;
  }
  return { servername, protocols };
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
