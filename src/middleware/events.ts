// What the middleware publishes on node:diagnostics_channel for the statistics (observe/stats.ts joins
// by the channel's name): a request the rate limit answered 429. Published only when someone listens.

import diagnosticsChannel from "node:diagnostics_channel";
import type { Request } from "../http/request.ts";

export interface RateLimitedMessage {
  readonly request: Request;
}

export const rateLimitedChannel = diagnosticsChannel.channel("portico:middleware.rate-limited");
