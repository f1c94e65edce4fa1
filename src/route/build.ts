// Config → what one worker thread serves: the handler chain and the engine's options. Built once per
// worker at start-up (and on reload); the request path only runs the result.

import fs from "node:fs";
import path from "node:path";
import type { Config, TcpConfig } from "../config/load.ts";
import { DEFAULT_CHUNKED_LIMITS } from "../http/chunked.ts";
import type { EngineOptions } from "../http/engine-options.ts";
import { type Handler, HandlerChain } from "../http/handler.ts";
import { DEFAULT_H2_OPTIONS, type H2Options } from "../h2/options.ts";
import type { LockTable } from "../common/lock-table.ts";
import { parseAffinity } from "../proxy/affinity.ts";
import { ActiveCounts, type CountRows } from "../proxy/balance/active-counts.ts";
import type { SharedVerdicts } from "../proxy/health/active.ts";
import type { GroupOptions } from "../proxy/group.ts";
import { ProxyHandler } from "../proxy/handler.ts";
import { TcpProxy } from "../proxy/tcp/tcp-proxy.ts";
import { StaticHandler } from "../static/handler.ts";
import { WriteHandler } from "../static/writes.ts";
import { AdminHandler } from "../observe/admin.ts";
import { upstreamEntries } from "../observe/upstream-stats.ts";
import type { StatsLayout } from "../observe/stats.ts";
import { HostRouter } from "./host-router.ts";
import { MethodGate } from "./method-gate.ts";
import { coversPath } from "../proxy/handler.ts";

export interface Site {
  readonly handler: Handler;
  readonly engine: EngineOptions;
  readonly h2: H2Options;
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

/** The HTTP/2 engine's limits; the header list limit is HTTP/1.1's header section limit. */
export function h2Options(config: Config): H2Options {
  return {
    ...DEFAULT_H2_OPTIONS,
    maxConcurrentStreams: config.h2MaxStreams,
    maxHeaderListBytes: config.maxHeaderBytes,
    maxHeaderFrames: config.h2MaxHeaderFrames,
  };
}

/** What a worker shares with the others, handed to the handlers that need it. */
export interface SiteShared {
  readonly locks: LockTable;
  readonly stats: BigInt64Array;
  readonly statsLayout: StatsLayout;
  /** Per-thread rows of per-upstream statistics (observe/upstream-stats.ts). */
  readonly upstreamStats?: BigInt64Array;
  /** False once the server is shutting down (the status path's readiness). */
  readonly isReady?: () => boolean;
  readonly startedAt: number;
  readonly version: string;
  /** This thread's row of the shared active-request table; proxy groups take slots in order. */
  readonly upstreams?: CountRows;
  /** Active health verdicts shared by the threads (slots in the same order as the counts). */
  readonly verdicts?: SharedVerdicts;
  /**
   * The --app handler, made by the worker (app/load.ts, app/handler.ts) before the site is built: the
   * app modules, and the fetch classes they bring (2.3 MiB of heap a thread), load only with --app.
   */
  readonly app?: Handler;
}

export function buildSite(config: Config, shared: SiteShared): Site {
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
        allow: config.statusAllow,
        ...(shared.isReady !== undefined ? { isReady: shared.isReady } : {}),
        ...(shared.upstreamStats !== undefined
          ? { upstreamStats: shared.upstreamStats, upstreams: upstreamEntries(config.proxy) }
          : {}),
      }),
    );
  }
  if (config.methods.length > 0) handlers.push(new MethodGate(config.methods));
  // With --proxy or --app, files (only when --root was given) come first and decline what they lack;
  // the app answers whatever files and proxied prefixes leave.
  const proxied = config.proxy.length > 0;
  const own = config.serveFiles ? fileHandlers(config, config.root, shared, proxied || shared.app !== undefined) : [];
  if (proxied) own.push(buildProxy(config, shared.upstreams, shared.verdicts));
  if (shared.app !== undefined) own.push(shared.app);
  // A chain of one is that one handler: every request would otherwise pass through an extra call.
  const site = own.length === 1 ? own[0]! : new HandlerChain(own);
  handlers.push(config.vhosts ? new HostRouter(virtualHosts(config, shared), site) : site);
  return {
    handler: handlers.length === 1 ? handlers[0]! : new HandlerChain(handlers),
    engine: engineOptions(config),
    h2: h2Options(config),
  };
}

/** The handlers that serve one document root: writes (when enabled) in front of reads. */
function fileHandlers(config: Config, root: string, shared: SiteShared, fallthrough = false): Handler[] {
  const files = new StaticHandler({
    root,
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
    ...(config.writable ? { locks: shared.locks } : {}),
    fallthrough,
  });
  if (!config.writable) return [files];
  const writes = new WriteHandler({
    root,
    dotfiles: config.dotfiles === "allow",
    followSymlinks: config.followSymlinks,
    mkdir: config.mkdir,
    fsync: config.fsync,
    index: config.index,
    locks: shared.locks,
    lengthRequiredStatus: config.lengthRequiredStatus,
    changed: (file) => files.cache.invalidatePath(file),
    bodyTimeoutMs: config.bodyTimeoutMs,
    // Writes never land under a proxied prefix: the upstream owns those paths (a PUT there is proxied).
    ...(fallthrough
      ? { declines: (path: string) => config.proxy.some((route) => coversPath(route.prefix, path)) }
      : {}),
  });
  return [writes, files];
}

/**
 * --vhosts: every subdirectory of the root named like a host (it contains a dot, or is "localhost")
 * serves that host as its own root; other hosts get the root itself. Found once at start-up.
 */
function virtualHosts(config: Config, shared: SiteShared): Map<string, Handler> {
  const hosts = new Map<string, Handler>();
  for (const entry of fs.readdirSync(config.root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const name = entry.name.toLowerCase();
    if (!name.includes(".") && name !== "localhost") continue;
    hosts.set(name, new HandlerChain(fileHandlers(config, path.join(config.root, entry.name), shared)));
  }
  return hosts;
}

/** The reverse proxy of one worker: one upstream group per --proxy prefix. */
export function buildProxy(config: Config, shared?: CountRows, verdicts?: SharedVerdicts): ProxyHandler {
  const affinity = parseAffinity(config.hashKey) ?? { kind: "ip" as const };
  // Each group's counts are slots of the shared rows, so least-conn sees every live thread's load.
  const counts: ActiveCounts[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const route of config.proxy) {
    const n = route.upstreams.length;
    counts.push(
      shared !== undefined && offset + n <= shared.stride ? new ActiveCounts(n, shared, offset) : new ActiveCounts(n),
    );
    offsets.push(offset);
    offset += n;
  }
  // One settings object for every https:// upstream: TLS contexts are built once per settings object.
  const tls = { ca: config.proxyCa, verify: config.proxyTlsVerify };
  const groups: GroupOptions[] = config.proxy.map((route, i) => ({
    prefix: route.prefix,
    basePath: route.basePath,
    upstreams: route.upstreams.map((u) => ({ host: u.host, port: u.port, weight: u.weight, tls: u.tls ? tls : null })),
    policy: config.lb,
    affinity,
    upstream: {
      passive: { maxFails: passiveMaxFails(route.upstreams.length, config.maxFails), cooldownMs: config.failTimeoutMs },
      maxIdle: config.upstreamKeepalive,
      rise: config.healthRise,
      fall: config.healthFall,
    },
    timeouts: {
      connectMs: config.proxyConnectTimeoutMs,
      responseMs: config.proxyResponseTimeoutMs,
      idleMs: config.proxyIdleTimeoutMs,
      keepAliveMs: config.upstreamKeepaliveTimeoutMs,
    },
    active:
      config.healthPath === ""
        ? null
        : {
            intervalMs: config.healthIntervalMs,
            timeoutMs: config.proxyConnectTimeoutMs,
            path: config.healthPath,
            expect: config.healthStatus,
            rise: config.healthRise,
            fall: config.healthFall,
          },
    ...(counts[i] !== undefined ? { counts: counts[i] } : {}),
    ...(verdicts !== undefined && offsets[i]! + route.upstreams.length <= verdicts.table.length
      ? { verdicts: { ...verdicts, offset: offsets[i]! } }
      : {}),
  }));
  return new ProxyHandler({
    groups,
    maxAttempts: config.proxyAttempts,
    rewriteHost: config.proxyHost === "upstream",
    proto: "http",
  });
}

/** `portico tcp`: the L4 proxy of one worker. */
export function buildTcpProxy(config: TcpConfig, shared?: CountRows, verdicts?: SharedVerdicts): TcpProxy {
  const n = config.upstreams.length;
  const counts = shared !== undefined && n <= shared.stride ? new ActiveCounts(n, shared) : undefined;
  return new TcpProxy({
    upstreams: config.upstreams.map((u) => ({ host: u.host, port: u.port, weight: u.weight })),
    policy: config.lb,
    connectTimeoutMs: config.connectTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    passive: { maxFails: passiveMaxFails(config.upstreams.length, config.maxFails), cooldownMs: config.failTimeoutMs },
    healthIntervalMs: config.healthIntervalMs,
    rise: config.healthRise,
    fall: config.healthFall,
    ...(counts !== undefined ? { counts } : {}),
    ...(verdicts !== undefined && n <= verdicts.table.length ? { verdicts } : {}),
  });
}

/**
 * Passive ejection only where there is somewhere else to go: a lone upstream taken out of rotation
 * would turn every request into a 503 for the whole cool-down, even once it is back (nginx ignores
 * max_fails for a single server for the same reason). Active checks still apply to it.
 */
function passiveMaxFails(upstreams: number, maxFails: number): number {
  return upstreams === 1 ? 0 : maxFails;
}
