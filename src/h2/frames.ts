// HTTP/2 frame layout (RFC 9113 §4, §6): the nine-byte frame header, frame types, flags, error codes and
// settings, the connection preface, and writers for the small control frames. Pure: no I/O.

import { Buffer } from "node:buffer";

/** RFC 9113 §3.4: what a client sends first on a connection with prior knowledge or ALPN h2. */
export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
export const FRAME_HEADER_BYTES = 9;

export const T_DATA = 0x0;
export const T_HEADERS = 0x1;
export const T_PRIORITY = 0x2;
export const T_RST_STREAM = 0x3;
export const T_SETTINGS = 0x4;
export const T_PUSH_PROMISE = 0x5;
export const T_PING = 0x6;
export const T_GOAWAY = 0x7;
export const T_WINDOW_UPDATE = 0x8;
export const T_CONTINUATION = 0x9;

export const FLAG_END_STREAM = 0x1;
export const FLAG_ACK = 0x1;
export const FLAG_END_HEADERS = 0x4;
export const FLAG_PADDED = 0x8;
export const FLAG_PRIORITY = 0x20;

/** Error codes (RFC 9113 §7). */
export const NO_ERROR = 0x0;
export const PROTOCOL_ERROR = 0x1;
export const INTERNAL_ERROR = 0x2;
export const FLOW_CONTROL_ERROR = 0x3;
export const SETTINGS_TIMEOUT = 0x4;
export const STREAM_CLOSED = 0x5;
export const FRAME_SIZE_ERROR = 0x6;
export const REFUSED_STREAM = 0x7;
export const CANCEL = 0x8;
export const COMPRESSION_ERROR = 0x9;
export const CONNECT_ERROR = 0xa;
export const ENHANCE_YOUR_CALM = 0xb;
export const INADEQUATE_SECURITY = 0xc;
export const HTTP_1_1_REQUIRED = 0xd;

export const ERROR_NAMES = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
] as const;

/** Settings (RFC 9113 §6.5.2). */
export const S_HEADER_TABLE_SIZE = 0x1;
export const S_ENABLE_PUSH = 0x2;
export const S_MAX_CONCURRENT_STREAMS = 0x3;
export const S_INITIAL_WINDOW_SIZE = 0x4;
export const S_MAX_FRAME_SIZE = 0x5;
export const S_MAX_HEADER_LIST_SIZE = 0x6;

export const DEFAULT_WINDOW = 65_535;
export const DEFAULT_MAX_FRAME = 16_384;
export const MAX_MAX_FRAME = 16_777_215;
export const MAX_WINDOW = 0x7fff_ffff;

/** Writes a frame header at out[at]. */
export function writeFrameHeader(
  out: Uint8Array,
  at: number,
  length: number,
  type: number,
  flags: number,
  stream: number,
): void {
  out[at] = length >>> 16;
  out[at + 1] = (length >>> 8) & 0xff;
  out[at + 2] = length & 0xff;
  out[at + 3] = type;
  out[at + 4] = flags;
  out[at + 5] = (stream >>> 24) & 0x7f;
  out[at + 6] = (stream >>> 16) & 0xff;
  out[at + 7] = (stream >>> 8) & 0xff;
  out[at + 8] = stream & 0xff;
}

/**
 * The end of a DATA or HEADERS frame's content without its padding (RFC 9113 §6.1, §6.2), or -1 when
 * the padding is as long as the frame or longer (a PROTOCOL_ERROR).
 */
export function paddedEnd(buf: Uint8Array, start: number, end: number, flags: number): number {
  if ((flags & FLAG_PADDED) === 0) return end;
  if (end === start) return -1;
  const padding = buf[start]!;
  return padding >= end - start ? -1 : end - padding;
}

/** A 31-bit big-endian value (a stream id or window increment; the reserved bit is ignored). */
export function read31(buf: Uint8Array, at: number): number {
  return ((buf[at]! & 0x7f) << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
}

export function read32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

export function write32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}

/** A SETTINGS frame with (id, value) pairs. */
export function settingsFrame(settings: readonly (readonly [number, number])[]): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_BYTES + settings.length * 6);
  writeFrameHeader(out, 0, settings.length * 6, T_SETTINGS, 0, 0);
  let at = FRAME_HEADER_BYTES;
  for (const [id, value] of settings) {
    out[at] = id >>> 8;
    out[at + 1] = id & 0xff;
    write32(out, at + 2, value);
    at += 6;
  }
  return out;
}

export const SETTINGS_ACK = ((): Buffer => {
  const out = Buffer.alloc(FRAME_HEADER_BYTES);
  writeFrameHeader(out, 0, 0, T_SETTINGS, FLAG_ACK, 0);
  return out;
})();

export function windowUpdateFrame(stream: number, increment: number): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_BYTES + 4);
  writeFrameHeader(out, 0, 4, T_WINDOW_UPDATE, 0, stream);
  write32(out, FRAME_HEADER_BYTES, increment);
  return out;
}

export function rstStreamFrame(stream: number, code: number): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_BYTES + 4);
  writeFrameHeader(out, 0, 4, T_RST_STREAM, 0, stream);
  write32(out, FRAME_HEADER_BYTES, code);
  return out;
}

export function goawayFrame(lastStream: number, code: number, debug = ""): Buffer {
  const text = Buffer.from(debug, "latin1");
  const out = Buffer.alloc(FRAME_HEADER_BYTES + 8 + text.length);
  writeFrameHeader(out, 0, 8 + text.length, T_GOAWAY, 0, 0);
  write32(out, FRAME_HEADER_BYTES, lastStream & 0x7fff_ffff);
  write32(out, FRAME_HEADER_BYTES + 4, code);
  out.set(text, FRAME_HEADER_BYTES + 8);
  return out;
}

/** A PING acknowledging `payload` (the eight opaque bytes at buf[at]). */
export function pingAckFrame(buf: Uint8Array, at: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 8);
  writeFrameHeader(out, 0, 8, T_PING, FLAG_ACK, 0);
  for (let i = 0; i < 8; i++) out[FRAME_HEADER_BYTES + i] = buf[at + i]!;
  return out;
}
