// The static handler's observable moments on node:diagnostics_channel: server-side faults (a file
// system error other than "missing" or "forbidden") are published once each, for the runtime to log.

import diagnosticsChannel from "node:diagnostics_channel";

export interface StaticErrorMessage {
  /** The request path being served when the fault happened. */
  readonly path: string;
  readonly error: unknown;
}

export const staticErrorChannel = diagnosticsChannel.channel("portico:static.error");

/** Publishes a fault; never throws. */
export function reportStaticError(path: string, error: unknown): void {
  if (staticErrorChannel.hasSubscribers) staticErrorChannel.publish({ path, error } satisfies StaticErrorMessage);
}
