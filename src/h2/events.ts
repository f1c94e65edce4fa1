// The HTTP/2 engine's observable moments beside the engine's own (http/events.ts, which HTTP/2
// requests, responses and connections publish too): protocol errors and floods met on a connection,
// for logs and tests. Messages are built only when someone listens.

import diagnosticsChannel from "node:diagnostics_channel";
import type { H2Error } from "./errors.ts";

export interface SessionErrorMessage {
  readonly session: { readonly remoteAddress: string };
  readonly error: H2Error;
}

/** A stream error (RST_STREAM sent) or a connection error (GOAWAY sent): { session, error }. */
export const sessionErrorChannel = diagnosticsChannel.channel("portico:h2.error");
