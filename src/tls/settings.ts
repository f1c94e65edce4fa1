// The TLS parameters every listening context shares: protocol versions, cipher suites, session
// lifetime, ALPN encoding. Fixed here once, so no site can weaken them by accident.
// Not here: certificates (certificate-store.ts), ticket keys (ticket-keys.ts).

import { Buffer } from "node:buffer";
import { constants } from "node:crypto";

/** TLS 1.0 and 1.1 are deprecated (RFC 8996); 1.3 (RFC 8446) is preferred when the client has it. */
export const MIN_VERSION = "TLSv1.2";
export const MAX_VERSION = "TLSv1.3";

/**
 * TLS 1.2 suites: forward-secret AEAD only, ECDSA before RSA at each strength (Mozilla's
 * "intermediate" profile without the DHE suites, which need a DH group nobody configures).
 * TLS 1.3's three suites are OpenSSL's defaults and need no list.
 */
export const TLS12_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/**
 * How long a session (a ticket) may be resumed, in seconds. Ticket keys live three rotations
 * (ticket-keys.ts), so a ticket stays decryptable for at least this long.
 */
export const SESSION_LIFETIME_S = 24 * 60 * 60;

/**
 * Renegotiation off (a client-initiated TLS 1.2 renegotiation is a denial-of-service lever and
 * HTTP/1.1 never needs it); no TLS compression (CRIME). 0-RTT stays off: Node never sets
 * max_early_data, so early data is refused (RFC 8446 §8: it is replayable).
 */
export const SECURE_OPTIONS = constants.SSL_OP_NO_RENEGOTIATION | constants.SSL_OP_NO_COMPRESSION;

/** The ALPN id of HTTP/1.1 (RFC 7301 §6). */
export const ALPN_HTTP1 = "http/1.1";
/** The ALPN id of HTTP/2 over TLS (RFC 9113 §3.2). */
export const ALPN_H2 = "h2";
/** The ALPN id a TLS-ALPN-01 validation offers (RFC 8737 §6.2). */
export const ALPN_ACME = "acme-tls/1";

/** ALPN protocol ids in wire form (RFC 7301 §3.1): each prefixed by its length. */
export function encodeAlpn(protocols: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of protocols) {
    const bytes = Buffer.from(p, "ascii");
    if (bytes.length === 0 || bytes.length > 255) throw new RangeError(`ALPN id ${JSON.stringify(p)} has a bad length`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  return Buffer.concat(parts);
}
