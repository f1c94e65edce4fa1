// What an HTTP/2 stream needs from its session (session.ts implements it), and how a stream's
// response ends once its queue is framed (sender.ts acts on it). Types and constants only.

import type { Buffer } from "node:buffer";
import type { ResponseDefaults } from "../http/response-defaults.ts";
import type { H2Stream } from "./stream.ts";

/** What a stream needs from its session. */
export interface StreamHost {
  readonly defaults: ResponseDefaults;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** Writes a field block as HEADERS (and CONTINUATION) frames. */
  writeHeaders(stream: H2Stream, block: Buffer, endStream: boolean): void;
  /** Frames the stream's queued data as the windows allow (and what follows it). */
  pump(stream: H2Stream): void;
  /** Sends RST_STREAM and forgets the stream. */
  reset(stream: H2Stream, code: number): void;
  /** Opens the peer's window for this stream by `bytes` (WINDOW_UPDATE). */
  openWindow(stream: H2Stream, bytes: number): void;
  /** Both sides of the stream are closed. */
  streamDone(stream: H2Stream): void;
  /** The transport is over its high-water mark. */
  readonly backedUp: boolean;
  /** Every byte framed so far has reached the kernel. */
  readonly flushed: boolean;
  /** The peer's window for the whole connection. */
  readonly connectionWindow: number;
  /** A writer waits on the stream: tell it (notifyDrain) once the session has flushed. */
  watchDrain(stream: H2Stream): void;
}

export const END_NONE = 0;
export const END_PLAIN = 1;
export const END_TRAILERS = 2;
export const END_CUT = 3;
