// Application handlers' observable moments on node:diagnostics_channel, for the runtime to log: an app
// that threw or rejected (its request got a 500 or was cut), and promise rejections nobody handled.

import diagnosticsChannel from "node:diagnostics_channel";

export interface AppErrorMessage {
  /** "METHOD /target" of the request that failed; "" for a stray rejection. */
  readonly request: string;
  readonly error: unknown;
  /** "fetch": fetch threw or rejected; "response": the answer could not be sent; "rejection": unhandled. */
  readonly phase: "fetch" | "response" | "rejection";
}

export const appErrorChannel = diagnosticsChannel.channel("portico:app.error");

/** Publishes a failure; never throws. */
export function reportAppError(request: string, error: unknown, phase: AppErrorMessage["phase"]): void {
  if (appErrorChannel.hasSubscribers) appErrorChannel.publish({ request, error, phase } satisfies AppErrorMessage);
}

/** One line (with the stack, when there is one) for a log. */
export function describeAppError(message: AppErrorMessage): string {
  const error = message.error;
  const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  if (message.phase === "rejection") return `portico: unhandled promise rejection in an app thread: ${detail}`;
  const what = message.phase === "fetch" ? "the app failed" : "the app's response failed";
  return `portico: ${what} on ${message.request}: ${detail}`;
}
