// `portico tcp`: the L4 proxy of one worker, from its configuration. Its own module so that the HTTP
// server's threads never load the TCP proxy, nor this one the HTTP handlers (runtime/worker.ts imports
// whichever the configuration names).

import type { TcpConfig } from "../config/tcp.ts";
import { ActiveCounts, type CountRows } from "../proxy/balance/active-counts.ts";
import type { SharedVerdicts } from "../proxy/health/active.ts";
import { TcpProxy } from "../proxy/tcp/tcp-proxy.ts";
import { passiveMaxFails } from "./proxies.ts";

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
