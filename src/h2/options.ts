// What the HTTP/2 engine is configured with, beside the engine options it shares with HTTP/1.1 (body
// size, timeouts, parse limits): stream and header limits, windows, flood allowances. Built from the
// command line by route/build.ts.

import { DEFAULT_GUARD_LIMITS, type GuardLimits } from "./guard.ts";

export interface H2Options {
  /** Streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused. */
  readonly maxConcurrentStreams: number;
  /** Largest decoded field section (SETTINGS_MAX_HEADER_LIST_SIZE); larger → 431. */
  readonly maxHeaderListBytes: number;
  /** HEADERS and CONTINUATION frames one field block may take (CONTINUATION floods); more → GOAWAY. */
  readonly maxHeaderFrames: number;
  /** Our receive window per stream (SETTINGS_INITIAL_WINDOW_SIZE): unread body held per stream. */
  readonly streamWindowBytes: number;
  readonly guard: GuardLimits;
}

export const DEFAULT_H2_OPTIONS: H2Options = {
  maxConcurrentStreams: 100,
  maxHeaderListBytes: 16 * 1024,
  maxHeaderFrames: 32,
  streamWindowBytes: 65_535,
  guard: DEFAULT_GUARD_LIMITS,
};
