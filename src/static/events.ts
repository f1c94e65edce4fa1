// The static handler's observable moments on node:diagnostics_channel: server-side faults (a file
// system error other than "missing" or "forbidden") are published once each, for the runtime to log,
// and so are temporary upload files of stopped processes swept away.

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

export interface UploadsSweptMessage {
  /** The directory (or root) swept. */
  readonly where: string;
  readonly files: number;
  readonly bytes: number;
}

export const uploadsSweptChannel = diagnosticsChannel.channel("portico:static.uploads-swept");

/** Publishes that abandoned temporary upload files were removed; never throws. */
export function reportUploadsSwept(where: string, files: number, bytes: number): void {
  if (uploadsSweptChannel.hasSubscribers)
    uploadsSweptChannel.publish({ where, files, bytes } satisfies UploadsSweptMessage);
}
