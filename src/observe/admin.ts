// The status endpoints (opt-in with --status-path): a live HTML dashboard, the statistics of all
// threads as JSON, and a Prometheus exposition (prometheus.ts). Reads the shared counters every
// thread stores; answers only GET/HEAD under its own prefix, only to loopback clients and the networks
// of --status-allow (403 for anyone else), and declines everything outside the prefix.

import fs from "node:fs";
import { createRequire } from "node:module";
import process from "node:process";
import type { Handler } from "../http/handler.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { type CertificateSnapshot, type CertificateSource, certificateSnapshot } from "./certificate-stats.ts";
import { ClientAllow } from "./client-allow.ts";
import { dashboardHtml } from "./dashboard-page.ts";
import { StatsHistory } from "./history.ts";
import { prometheus } from "./prometheus.ts";
import { type RouteEntry, type RouteSnapshot, routeSnapshot } from "./route-stats.ts";
import { type LatencyBucket, PROTOCOLS, quantileMs, type StatsLayout, TLS_FAILURE_KINDS } from "./stats.ts";
import { type UpstreamEntry, type UpstreamSnapshot, upstreamSnapshot } from "./upstream-stats.ts";

export interface AdminOptions {
  /** Prefix without trailing slash, e.g. "/_portico". */
  readonly path: string;
  readonly stats: BigInt64Array;
  readonly layout: StatsLayout;
  readonly threads: number;
  readonly startedAt: number;
  readonly version: string;
  /** Networks besides loopback allowed to see the status path (--status-allow). */
  readonly allow?: readonly string[];
  /** Per-thread rows of per-upstream statistics, and the upstreams they describe. */
  readonly upstreamStats?: BigInt64Array;
  readonly upstreams?: readonly UpstreamEntry[];
  /** Per-thread rows of requests by site and route, and the configured routes' slots. */
  readonly routeStats?: BigInt64Array;
  readonly routes?: readonly RouteEntry[];
  /** The certificates the TLS listener serves now. */
  readonly certificates?: CertificateSource;
  /** Why the server is not ready ("" when it is): shutting down, or waiting for ACME's first certificate (PREFIX/readyz answers 503 with it). */
  readonly unready?: () => string;
}

export interface ThreadStats {
  readonly thread: number;
  readonly requests: number;
  readonly activeConnections: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly cacheBytes: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

export interface StatsSnapshot {
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly threads: number;
  /** Requests answered, the status path's own excluded. */
  readonly requests: number;
  /** Requests for the status path itself (the dashboard's polling, scrapes). */
  readonly statusPathRequests: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly connections: { readonly active: number; readonly total: number; readonly rejected: number };
  readonly status: Readonly<Record<string, number>>;
  /** "1xx" … "5xx". */
  readonly statusClasses: Readonly<Record<string, number>>;
  /** "HTTP/1.0", "HTTP/1.1", "HTTP/2". */
  readonly protocols: Readonly<Record<string, number>>;
  readonly latency: {
    readonly count: number;
    readonly sumSeconds: number;
    readonly meanMs: number;
    readonly p50Ms: number;
    readonly p90Ms: number;
    readonly p99Ms: number;
    readonly buckets: readonly LatencyBucket[];
  };
  readonly process: { readonly residentBytes: number };
  /** The file caches of all threads: lookups that hit or missed, bytes and entries held. */
  readonly fileCache: {
    readonly hits: number;
    readonly misses: number;
    readonly bytes: number;
    readonly entries: number;
  };
  readonly perThread: readonly ThreadStats[];
  readonly upstreams: readonly UpstreamSnapshot[];
  /** Requests by site and route, the configured ones in order (route-stats.ts). */
  readonly routes: readonly RouteSnapshot[];
  readonly tls: {
    /** Handshakes completed, without and with session resumption. */
    readonly handshakes: { readonly full: number; readonly resumed: number };
    /** Handshakes that failed, by kind (tls/handshake-events.ts). */
    readonly failures: Readonly<Record<string, number>>;
    readonly certificates: readonly CertificateSnapshot[];
  };
}

const NO_STORE = ["Cache-Control", "no-store", "X-Content-Type-Options", "nosniff"];
const TEXT = ["Content-Type", "text/plain; charset=utf-8", ...NO_STORE];
const PAGE_HEAD = [
  "Content-Type",
  "text/html; charset=utf-8",
  "Content-Security-Policy",
  "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; connect-src 'self'; img-src data:",
  ...NO_STORE,
];
const JSON_HEAD = ["Content-Type", "application/json; charset=utf-8", ...NO_STORE];
const HISTORY_INTERVAL_MS = 1000;

/**
 * uPlot (the npm dependency `uplot`), served by Portico itself from node_modules — the dashboard
 * needs no CDN and works on a closed network. Read once per thread, at the first status handler.
 */
let chartAssets: { js: Buffer; css: Buffer } | null | undefined;
function loadChartAssets(): { js: Buffer; css: Buffer } | null {
  if (chartAssets !== undefined) return chartAssets;
  try {
    const require = createRequire(import.meta.url);
    chartAssets = {
      js: fs.readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js")),
      css: fs.readFileSync(require.resolve("uplot/dist/uPlot.min.css")),
    };
  } catch {
    // The page still shows its cards and tables, and says the charts are missing.
    chartAssets = null;
  }
  return chartAssets;
}
const ASSET_CACHE = ["Cache-Control", "public, max-age=3600", "X-Content-Type-Options", "nosniff"];

export class AdminHandler implements Handler {
  readonly #options: AdminOptions;
  readonly #page: string;
  readonly #allow: ClientAllow;
  readonly #history = new StatsHistory();
  readonly #assets: { js: Buffer; css: Buffer } | null;

  constructor(options: AdminOptions) {
    this.#options = options;
    this.#allow = new ClientAllow(options.allow ?? []);
    this.#assets = loadChartAssets();
    this.#page = dashboardHtml(options.path, this.#assets !== null);
    // Every thread samples the same shared counters, so whichever answers has the whole history.
    this.#history.add(Date.now(), this.snapshot());
    setInterval(() => this.#history.add(Date.now(), this.snapshot()), HISTORY_INTERVAL_MS).unref();
  }

  handle(req: Request, res: Response): boolean {
    const prefix = this.#options.path;
    const path = req.path;
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return false;
    const rest = path.slice(prefix.length);
    // Liveness and readiness answer everyone: probes come from the node's address, not loopback, and
    // the answers reveal nothing. This thread answering is the liveness.
    if (rest === "/healthz") {
      res.send(200, TEXT, "ok\n");
      return true;
    }
    if (rest === "/readyz") {
      const why = this.#options.unready?.() ?? "";
      res.send(why === "" ? 200 : 503, TEXT, why === "" ? "ready\n" : `${why}\n`);
      return true;
    }
    // Checked before anything else: a refused client learns nothing, not even which paths exist.
    if (!this.#allow.allows(req.remoteAddress)) {
      res.send(403, TEXT, "Forbidden: the status path answers loopback clients and --status-allow networks\n");
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.send(405, ["Allow", "GET, HEAD", ...TEXT], "Method Not Allowed\n");
      return true;
    }
    if (rest === "" || rest === "/") {
      res.send(200, PAGE_HEAD, this.#page);
    } else if (rest === "/stats") {
      res.send(200, JSON_HEAD, `${JSON.stringify(this.snapshot())}\n`);
    } else if (rest === "/history") {
      // ?since=<ms>: only the samples the page does not have yet, with the current figures.
      const since = Number(/[?&]since=(\d+)/.exec(req.target)?.[1] ?? 0);
      const body = { samples: this.#history.since(since), stats: this.snapshot() };
      res.send(200, JSON_HEAD, `${JSON.stringify(body)}\n`);
    } else if (rest === "/uplot.js" && this.#assets !== null) {
      res.send(200, ["Content-Type", "text/javascript; charset=utf-8", ...ASSET_CACHE], this.#assets.js);
    } else if (rest === "/uplot.css" && this.#assets !== null) {
      res.send(200, ["Content-Type", "text/css; charset=utf-8", ...ASSET_CACHE], this.#assets.css);
    } else if (rest === "/metrics") {
      res.send(
        200,
        ["Content-Type", "text/plain; version=0.0.4; charset=utf-8", ...NO_STORE],
        prometheus(this.snapshot()),
      );
    } else {
      res.send(404, TEXT, "Not Found\n");
    }
    return true;
  }

  /** Sums every thread's counters, as stored the moment each response finished. */
  snapshot(): StatsSnapshot {
    const { stats, layout, threads } = this.#options;
    const at = (t: number, slot: number): number => Number(Atomics.load(stats, t * layout.slots + slot));
    const sum = (slot: number): number => {
      let total = 0n;
      for (let t = 0; t < threads; t++) total += Atomics.load(stats, t * layout.slots + slot);
      return Number(total);
    };
    const status: Record<string, number> = {};
    const statusClasses: Record<string, number> = { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 };
    for (let i = 0; i < layout.statusCount; i++) {
      const n = sum(layout.status + i);
      if (n === 0) continue;
      const code = layout.statusMin + i;
      status[String(code)] = n;
      statusClasses[`${Math.floor(code / 100)}xx`]! += n;
    }
    const protocols: Record<string, number> = {};
    PROTOCOLS.forEach((name, i) => {
      protocols[name] = sum(layout.protocol + i);
    });
    const buckets: LatencyBucket[] = [];
    let count = 0;
    for (let k = 0; k < layout.latencyBuckets; k++) {
      const n = sum(layout.latency + k);
      count += n;
      buckets.push({ leMs: k === layout.latencyBuckets - 1 ? Number.POSITIVE_INFINITY : 2 ** k / 1000, count: n });
    }
    const sumUs = sum(layout.latencySumUs);
    const perThread = Array.from(
      { length: threads },
      (_, t): ThreadStats => ({
        thread: t,
        requests: at(t, layout.requests),
        activeConnections: at(t, layout.connectionsActive),
        heapUsedBytes: at(t, layout.heapUsed),
        heapTotalBytes: at(t, layout.heapTotal),
        cacheBytes: at(t, layout.cacheBytes),
        loopDelayP99Ms: at(t, layout.loopDelayP99Us) / 1000,
        loopDelayMaxMs: at(t, layout.loopDelayMaxUs) / 1000,
      }),
    );
    return {
      version: this.#options.version,
      uptimeSeconds: Math.round((Date.now() - this.#options.startedAt) / 1000),
      threads,
      requests: sum(layout.requests),
      statusPathRequests: sum(layout.statusPathRequests),
      bytesIn: sum(layout.bytesIn),
      bytesOut: sum(layout.bytesOut),
      connections: {
        active: sum(layout.connectionsActive),
        total: sum(layout.connectionsTotal),
        rejected: sum(layout.rejected),
      },
      status,
      statusClasses,
      protocols,
      latency: {
        count,
        sumSeconds: sumUs / 1e6,
        meanMs: count === 0 ? 0 : sumUs / count / 1000,
        p50Ms: quantileMs(buckets, count, 0.5),
        p90Ms: quantileMs(buckets, count, 0.9),
        p99Ms: quantileMs(buckets, count, 0.99),
        buckets,
      },
      process: { residentBytes: process.memoryUsage.rss() },
      fileCache: {
        hits: sum(layout.cacheHits),
        misses: sum(layout.cacheMisses),
        bytes: sum(layout.cacheBytes),
        entries: sum(layout.cacheEntries),
      },
      perThread,
      upstreams:
        this.#options.upstreamStats === undefined
          ? []
          : upstreamSnapshot(this.#options.upstreamStats, threads, this.#options.upstreams ?? []),
      routes:
        this.#options.routeStats === undefined
          ? []
          : routeSnapshot(this.#options.routeStats, threads, this.#options.routes ?? []),
      tls: {
        handshakes: { full: sum(layout.tlsFull), resumed: sum(layout.tlsResumed) },
        failures: Object.fromEntries(TLS_FAILURE_KINDS.map((kind, i) => [kind, sum(layout.tlsFailures + i)])),
        certificates: certificateSnapshot(this.#options.certificates),
      },
    };
  }
}
