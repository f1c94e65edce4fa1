// Config → what one worker thread serves: the handler chain and the engine's options. Built once per
// worker at start-up (and on reload); the request path only runs the result.

import type { Config } from "../config/load.ts";
import { DEFAULT_CHUNKED_LIMITS } from "../http/chunked.ts";
import type { EngineOptions } from "../http/connection.ts";
import { type Handler, HandlerChain } from "../http/handler.ts";
import { StaticHandler } from "../static/handler.ts";

export interface Site {
  readonly handler: Handler;
  readonly engine: EngineOptions;
}

export function engineOptions(config: Config): EngineOptions {
  return {
    limits: {
      maxRequestLineBytes: config.maxRequestLineBytes,
      maxHeaderBytes: config.maxHeaderBytes,
      maxHeaderCount: config.maxHeaderCount,
      requireHost: true,
    },
    chunkedLimits: { ...DEFAULT_CHUNKED_LIMITS, maxTrailerBytes: config.maxHeaderBytes },
    maxBodyBytes: config.maxBodyBytes,
    headersTimeoutMs: config.headersTimeoutMs,
    bodyTimeoutMs: config.bodyTimeoutMs,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    sendTimeoutMs: config.sendTimeoutMs,
    lingerMs: 2000,
    discardBodyBytes: 64 * 1024,
    maxRequestsPerConnection: config.maxRequestsPerConnection,
    errorDetail: true,
  };
}

export function buildSite(config: Config): Site {
  const files = new StaticHandler({
    root: config.root,
    index: config.index,
    dotfiles: config.dotfiles === "allow",
    followSymlinks: config.followSymlinks,
    listing: config.listing,
    spa: config.spa,
    compress: config.compress,
    compressMinBytes: config.compressMinBytes,
    cacheMaxFileBytes: config.cacheMaxFileBytes,
    cacheMaxBytes: config.cacheMaxBytes,
    revalidateMs: config.revalidateMs,
    cacheControl: config.cacheControl,
  });
  return { handler: new HandlerChain([files]), engine: engineOptions(config) };
}
