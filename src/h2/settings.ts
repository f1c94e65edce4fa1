// A client's SETTINGS frame, checked and read (RFC 9113 §6.5): the values that matter to the server
// land in PeerSettings; out-of-range values are connection errors; unknown settings are ignored
// (§6.5.2). HEADER_TABLE_SIZE: our encoder never uses the dynamic table. MAX_CONCURRENT_STREAMS: we
// never push. MAX_HEADER_LIST_SIZE is advisory. Pure: no I/O.

import { connectionError, type H2Error } from "./errors.ts";
import {
  DEFAULT_MAX_FRAME,
  FLOW_CONTROL_ERROR,
  FRAME_SIZE_ERROR,
  MAX_MAX_FRAME,
  MAX_WINDOW,
  PROTOCOL_ERROR,
  read32,
  S_ENABLE_PUSH,
  S_INITIAL_WINDOW_SIZE,
  S_MAX_FRAME_SIZE,
} from "./frames.ts";

export interface PeerSettings {
  /** SETTINGS_INITIAL_WINDOW_SIZE: each new stream's send window. */
  initialWindow: number;
  /** SETTINGS_MAX_FRAME_SIZE: the largest frame we may send. */
  maxFrame: number;
}

/** Reads the payload buf[start, end) of a SETTINGS frame (not an ACK) into `into`. */
export function readSettings(buf: Uint8Array, start: number, end: number, into: PeerSettings): H2Error | null {
  if ((end - start) % 6 !== 0) return connectionError(FRAME_SIZE_ERROR, "SETTINGS of the wrong size");
  for (let at = start; at < end; at += 6) {
    const setting = (buf[at]! << 8) | buf[at + 1]!;
    const value = read32(buf, at + 2);
    switch (setting) {
      case S_ENABLE_PUSH:
        if (value > 1) return connectionError(PROTOCOL_ERROR, "SETTINGS_ENABLE_PUSH above 1");
        break;
      case S_INITIAL_WINDOW_SIZE:
        if (value > MAX_WINDOW) return connectionError(FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE too large");
        into.initialWindow = value;
        break;
      case S_MAX_FRAME_SIZE:
        if (value < DEFAULT_MAX_FRAME || value > MAX_MAX_FRAME)
          return connectionError(PROTOCOL_ERROR, "SETTINGS_MAX_FRAME_SIZE out of range");
        into.maxFrame = value;
        break;
    }
  }
  return null;
}
