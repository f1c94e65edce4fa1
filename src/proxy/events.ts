// The proxy's observable moments on node:diagnostics_channel: an upstream taken out of rotation or
// put back, and upstream errors. Messages are built only when someone listens.

import diagnosticsChannel from "node:diagnostics_channel";

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

export const upstreamDownChannel = diagnosticsChannel.channel("portico:proxy.upstream.down");
export const upstreamUpChannel = diagnosticsChannel.channel("portico:proxy.upstream.up");
export const upstreamErrorChannel = diagnosticsChannel.channel("portico:proxy.upstream.error");
