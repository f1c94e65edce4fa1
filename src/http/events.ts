// The engine's observable moments, published on node:diagnostics_channel so logging, statistics and
// tracing subscribe without the engine importing them. Messages are built only when someone listens.

import diagnosticsChannel from "node:diagnostics_channel";
import type { Request } from "./request.ts";

export interface RequestStartMessage {
  readonly request: Request;
}

/** Published when a response's status is fixed, just before its head is handed to the socket. */
export interface ResponseHeadMessage {
  readonly request: Request;
  readonly status: number;
  /** True when the request reached a handler (false for engine errors such as 400 or 408). */
  readonly handled: boolean;
}

/** Published just before a response's last byte is handed to the socket (or when it is abandoned). */
export interface RequestFinishMessage {
  readonly request: Request;
  readonly status: number;
  readonly handled: boolean;
  /** Body bytes sent (not counting the head). */
  readonly bodyBytes: number;
  readonly durationMs: number;
  /** False when the client went away or the response was cut short. */
  readonly complete: boolean;
}

/** The connection itself: its peer details are read from the socket only when a subscriber asks. */
export interface ConnectionMessage {
  readonly connection: { readonly remoteAddress: string; readonly remotePort: number; readonly localPort: number };
}

export const requestStartChannel = diagnosticsChannel.channel("portico:http.request.start");
export const responseHeadChannel = diagnosticsChannel.channel("portico:http.response.head");
export const requestFinishChannel = diagnosticsChannel.channel("portico:http.request.finish");
export const connectionOpenChannel = diagnosticsChannel.channel("portico:http.connection.open");
export const connectionCloseChannel = diagnosticsChannel.channel("portico:http.connection.close");
/** Errors a handler threw or the engine met and answered: { request?, error }. */
export const errorChannel = diagnosticsChannel.channel("portico:http.error");

/** A connection could not be accepted (EMFILE, ENFILE…); libuv keeps the listener going. */
export interface AcceptErrorMessage {
  readonly code: string;
}

export const acceptErrorChannel = diagnosticsChannel.channel("portico:http.accept.error");
