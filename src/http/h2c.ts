// Recognising HTTP/2 with prior knowledge on a plain connection (RFC 9113 §3.3): the client's first
// bytes are the connection preface instead of a request line. HTTP/1.1 is served on the same port;
// only a connection's first bytes are looked at, and only while they match the preface.

import { Buffer } from "node:buffer";

/** RFC 9113 §3.4. */
export const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export const PREFACE_NO = 0;
/** What arrived so far matches the preface's start: wait for more before deciding. */
export const PREFACE_PARTIAL = 1;
export const PREFACE_FULL = 2;

/** Whether buf[start, end) begins with the preface. */
export function matchPreface(buf: Uint8Array, start: number, end: number): number {
  const n = Math.min(end - start, H2_PREFACE.length);
  for (let i = 0; i < n; i++) if (buf[start + i] !== H2_PREFACE[i]) return PREFACE_NO;
  return n === H2_PREFACE.length ? PREFACE_FULL : PREFACE_PARTIAL;
}
