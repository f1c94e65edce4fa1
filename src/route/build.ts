// Config → what one worker thread serves: the handler chain and the engine's options. Built once per
// worker at start-up (and on reload); the request path only runs the result.

import type { Config } from "../config/load.ts";
import { DEFAULT_CHUNKED_LIMITS } from "../http/chunked.ts";
import type { EngineOptions } from "../http/connection.ts";
import { type Handler, HandlerChain } from "../http/handler.ts";
import type { LockTable } from "../common/lock-table.ts";
import { StaticHandler } from "../static/handler.ts";
import { WriteHandler } from "../static/writes.ts";
import { AdminHandler } from "../observe/admin.ts";
import type { StatsLayout } from "../observe/stats.ts";
import { MethodGate } from "./method-gate.ts";

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
      requireHost: config.requireHost,
      acceptHttp10: config.http10,
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
    errorDetail: config.errorDetail,
  };
}

/** What a worker shares with the others, handed to the handlers that need it. */
export interface SiteShared {
  readonly locks: LockTable;
  readonly stats: BigInt64Array;
  readonly statsLayout: StatsLayout;
  readonly startedAt: number;
  readonly version: string;
}

export function buildSite(config: Config, shared: SiteShared): Site {
  const files = new StaticHandler({
    root: config.root,
    index: config.index,
    dotfiles: config.dotfiles === "allow",
    followSymlinks: config.followSymlinks,
    cacheMaxFileBytes: config.cacheMaxFileBytes,
    cacheMaxBytes: config.cacheMaxBytes,
    revalidateMs: config.revalidateMs,
    cacheControl: config.cacheControl,
  });
  const handlers: Handler[] = [];
  if (config.statusPath !== "") {
    handlers.push(
      new AdminHandler({
        path: config.statusPath,
        stats: shared.stats,
        layout: shared.statsLayout,
        threads: config.threads,
        startedAt: shared.startedAt,
        version: shared.version,
      }),
    );
  }
  if (config.methods.length > 0) handlers.push(new MethodGate(config.methods));
  if (config.writable) {
    handlers.push(
      new WriteHandler({
        root: config.root,
        dotfiles: config.dotfiles === "allow",
        followSymlinks: config.followSymlinks,
        mkdir: config.mkdir,
        fsync: config.fsync,
        locks: shared.locks,
        lengthRequiredStatus: config.lengthRequiredStatus,
        changed: (file) => files.cache.deletePath(file),
      }),
    );
  }
  handlers.push(files);
  return { handler: new HandlerChain(handlers), engine: engineOptions(config) };
}
