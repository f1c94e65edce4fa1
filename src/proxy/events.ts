// The proxy's observable moments on node:diagnostics_channel: an upstream taken out of rotation or
// put back, and upstream errors. Messages are built only when someone listens.

import diagnosticsChannel from "node:diagnostics_channel";
import type { Request } from "../http/request.ts";

export interface UpstreamStateMessage {
  /** "host:port" */
  readonly upstream: string;
  /** "passive" (failures seen on real traffic) or "active" (health checks). */
  readonly source: "passive" | "active";
  readonly reason: string;
}

export interface UpstreamErrorMessage {
  readonly upstream: string;
  readonly code: string;
  readonly message: string;
}

/**
 * One try of a proxied request on one upstream, published when it ends (response complete, or failed):
 * what nginx logs as $upstream_addr, $upstream_status and $upstream_response_time, one per try.
 */
export interface UpstreamAttemptMessage {
  readonly request: Request;
  /** "host:port" */
  readonly upstream: string;
  /** The upstream's status code, or 0 when no response head came (see `error`). */
  readonly status: number;
  /** From choosing the upstream to the end of its response (or the failure). */
  readonly durationMs: number;
  /** The ProxyError code of a failed try, CLIENT_GONE, or "" when it succeeded. */
  readonly error: string;
}

/** A try begins on an upstream (the end is an UpstreamAttemptMessage). */
export interface UpstreamStartMessage {
  readonly request: Request;
  readonly upstream: string;
  /** 1 for the request's first try, 2 for the first retry… */
  readonly attempt: number;
}

/** The `error` of a try cut short because the client went away: not the upstream's failure. */
export const CLIENT_GONE = "CLIENT_GONE";

export const upstreamStartChannel = diagnosticsChannel.channel("portico:proxy.upstream.start");
export const upstreamAttemptChannel = diagnosticsChannel.channel("portico:proxy.upstream.attempt");
export const upstreamDownChannel = diagnosticsChannel.channel("portico:proxy.upstream.down");
export const upstreamUpChannel = diagnosticsChannel.channel("portico:proxy.upstream.up");
export const upstreamErrorChannel = diagnosticsChannel.channel("portico:proxy.upstream.error");
