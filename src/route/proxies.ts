// Proxy handlers of one worker, one per proxied route: each route's upstreams take the next slots of
// the shared active-request counts and health verdicts (model order, so every thread agrees).

import type { ProxyHandlerModel } from "../config/model.ts";
import { parseAffinity } from "../proxy/affinity.ts";
import { ActiveCounts, type CountRows } from "../proxy/balance/active-counts.ts";
import type { SharedVerdicts } from "../proxy/health/active.ts";
import { ProxyHandler } from "../proxy/handler.ts";

export class ProxyBuilder {
  readonly #rows: CountRows | undefined;
  readonly #verdicts: SharedVerdicts | undefined;
  #offset = 0;
  readonly #made: ProxyHandler[] = [];

  constructor(rows: CountRows | undefined, verdicts: SharedVerdicts | undefined) {
    this.#rows = rows;
    this.#verdicts = verdicts;
  }

  handler(prefix: string, model: ProxyHandlerModel): ProxyHandler {
    const s = model.settings;
    const n = model.upstreams.length;
    const offset = this.#offset;
    this.#offset += n;
    const rows = this.#rows;
    const counts =
      rows !== undefined && offset + n <= rows.stride ? new ActiveCounts(n, rows, offset) : new ActiveCounts(n);
    const verdicts = this.#verdicts;
    const tls = { ca: model.ca, verify: s.proxyTlsVerify === "on" };
    const handler = new ProxyHandler({
      groups: [
        {
          prefix,
          basePath: model.basePath,
          upstreams: model.upstreams.map((u) => ({
            host: u.host,
            port: u.port,
            weight: u.weight,
            tls: u.tls ? tls : null,
          })),
          policy: s.lb,
          affinity: parseAffinity(s.hashKey) ?? { kind: "ip" as const },
          upstream: {
            passive: { maxFails: passiveMaxFails(n, s.maxFails), cooldownMs: s.failTimeoutMs },
            maxIdle: s.upstreamKeepalive,
            rise: s.healthRise,
            fall: s.healthFall,
          },
          timeouts: {
            connectMs: s.proxyConnectTimeoutMs,
            responseMs: s.proxyResponseTimeoutMs,
            idleMs: s.proxyIdleTimeoutMs,
            keepAliveMs: s.upstreamKeepaliveTimeoutMs,
          },
          active:
            s.healthPath === ""
              ? null
              : {
                  intervalMs: s.healthIntervalMs,
                  timeoutMs: s.proxyConnectTimeoutMs,
                  path: s.healthPath,
                  expect: model.healthStatus,
                  rise: s.healthRise,
                  fall: s.healthFall,
                },
          counts,
          ...(verdicts !== undefined && offset + n <= verdicts.table.length
            ? { verdicts: { ...verdicts, offset } }
            : {}),
        },
      ],
      routed: true,
      maxAttempts: s.proxyAttempts,
      rewriteHost: s.proxyHost === "upstream",
      proto: "http",
      errorDetail: s.proxyErrorDetail,
    });
    this.#made.push(handler);
    return handler;
  }

  close(): void {
    for (const h of this.#made) h.close();
  }

  /** Each upstream's idle keep-alive connections in this worker: "host:port" and its pool's size. */
  *idle(): Generator<[string, number]> {
    for (const h of this.#made) for (const g of h.groups) for (const u of g.upstreams) yield [u.authority, u.pool.size];
  }
}

/**
 * Passive ejection only where there is somewhere else to go: a lone upstream taken out of rotation
 * would turn every request into a 503 for the whole cool-down, even once it is back (nginx ignores
 * max_fails for a single server for the same reason). Active checks still apply to it.
 */
export function passiveMaxFails(upstreams: number, maxFails: number): number {
  return upstreams === 1 ? 0 : maxFails;
}
