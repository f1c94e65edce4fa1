// The status endpoints (opt-in with --status-path): a live HTML dashboard, the statistics of all
// threads as JSON, and a Prometheus exposition. Reads the shared counters every thread publishes;
// answers only GET/HEAD under its own prefix and declines everything else.

import type { Handler } from "../http/handler.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import type { StatsLayout } from "./stats.ts";
import { dashboardHtml } from "./dashboard-page.ts";

export interface AdminOptions {
  /** Prefix without trailing slash, e.g. "/_portico". */
  readonly path: string;
  readonly stats: BigInt64Array;
  readonly layout: StatsLayout;
  readonly threads: number;
  readonly startedAt: number;
  readonly version: string;
}

export interface StatsSnapshot {
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly threads: number;
  readonly requests: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly connections: { readonly active: number; readonly total: number; readonly rejected: number };
  readonly status: Readonly<Record<string, number>>;
  readonly latency: {
    readonly p50Ms: number;
    readonly p90Ms: number;
    readonly p99Ms: number;
    readonly buckets: ReadonlyArray<{ readonly leMs: number; readonly count: number }>;
  };
  readonly perThread: ReadonlyArray<{
    readonly thread: number;
    readonly requests: number;
    readonly activeConnections: number;
  }>;
}

export class AdminHandler implements Handler {
  readonly #options: AdminOptions;
  readonly #page: string;

  constructor(options: AdminOptions) {
    this.#options = options;
    this.#page = dashboardHtml(`${options.path}/stats`);
  }

  handle(req: Request, res: Response): boolean {
    const prefix = this.#options.path;
    const path = req.path;
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.send(405, ["Allow", "GET, HEAD", "Content-Type", "text/plain; charset=utf-8"], "Method Not Allowed\n");
      return true;
    }
    const rest = path.slice(prefix.length);
    const noStore = ["Cache-Control", "no-store", "X-Content-Type-Options", "nosniff"];
    if (rest === "" || rest === "/") {
      res.send(
        200,
        [
          "Content-Type",
          "text/html; charset=utf-8",
          "Content-Security-Policy",
          "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:",
          ...noStore,
        ],
        this.#page,
      );
    } else if (rest === "/stats") {
      res.send(
        200,
        ["Content-Type", "application/json; charset=utf-8", ...noStore],
        `${JSON.stringify(this.snapshot())}\n`,
      );
    } else if (rest === "/metrics") {
      res.send(
        200,
        ["Content-Type", "text/plain; version=0.0.4; charset=utf-8", ...noStore],
        prometheus(this.snapshot()),
      );
    } else {
      res.send(404, ["Content-Type", "text/plain; charset=utf-8"], "Not Found\n");
    }
    return true;
  }

  /** Sums every thread's published counters. */
  snapshot(): StatsSnapshot {
    const { stats, layout, threads } = this.#options;
    const sum = (slot: number): number => {
      let total = 0n;
      for (let t = 0; t < threads; t++) total += Atomics.load(stats, t * layout.slots + slot);
      return Number(total);
    };
    const status: Record<string, number> = {};
    for (let i = 0; i < layout.statusCount; i++) {
      const n = sum(layout.status + i);
      if (n > 0) status[String(layout.statusMin + i)] = n;
    }
    const buckets: Array<{ leMs: number; count: number }> = [];
    let counted = 0;
    for (let k = 0; k < layout.latencyBuckets; k++) {
      const count = sum(layout.latency + k);
      counted += count;
      buckets.push({ leMs: 2 ** k / 1000, count });
    }
    const quantile = (q: number): number => {
      if (counted === 0) return 0;
      let seen = 0;
      for (const b of buckets) {
        seen += b.count;
        if (seen >= q * counted) return b.leMs;
      }
      return buckets[buckets.length - 1]!.leMs;
    };
    const perThread = Array.from({ length: threads }, (_, t) => ({
      thread: t,
      requests: Number(Atomics.load(stats, t * layout.slots + layout.requests)),
      activeConnections: Number(Atomics.load(stats, t * layout.slots + layout.connectionsActive)),
    }));
    return {
      version: this.#options.version,
      uptimeSeconds: Math.round((Date.now() - this.#options.startedAt) / 1000),
      threads,
      requests: sum(layout.requests),
      bytesIn: sum(layout.bytesIn),
      bytesOut: sum(layout.bytesOut),
      connections: {
        active: sum(layout.connectionsActive),
        total: sum(layout.connectionsTotal),
        rejected: sum(layout.rejected),
      },
      status,
      latency: { p50Ms: quantile(0.5), p90Ms: quantile(0.9), p99Ms: quantile(0.99), buckets },
      perThread,
    };
  }
}

/** Prometheus text exposition format 0.0.4. */
export function prometheus(s: StatsSnapshot): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: Array<[string, number]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  metric(
    "portico_requests_total",
    "counter",
    "Requests answered, by status code.",
    Object.entries(s.status).map(([code, n]) => [`{code="${code}"}`, n]),
  );
  metric("portico_bytes_received_total", "counter", "Request bytes received (heads and declared bodies).", [
    ["", s.bytesIn],
  ]);
  metric("portico_bytes_sent_total", "counter", "Response body bytes sent.", [["", s.bytesOut]]);
  metric("portico_connections_active", "gauge", "Open client connections.", [["", s.connections.active]]);
  metric("portico_connections_total", "counter", "Client connections accepted.", [["", s.connections.total]]);
  metric("portico_connections_rejected_total", "counter", "Connections refused by --max-connections.", [
    ["", s.connections.rejected],
  ]);
  metric(
    "portico_thread_requests_total",
    "counter",
    "Requests answered per worker thread.",
    s.perThread.map((t) => [`{thread="${t.thread}"}`, t.requests]),
  );
  lines.push(
    "# HELP portico_request_duration_seconds Time from complete request head to response end.",
    "# TYPE portico_request_duration_seconds histogram",
  );
  let cumulative = 0;
  for (const b of s.latency.buckets) {
    cumulative += b.count;
    lines.push(`portico_request_duration_seconds_bucket{le="${b.leMs / 1000}"} ${cumulative}`);
  }
  lines.push(
    `portico_request_duration_seconds_bucket{le="+Inf"} ${cumulative}`,
    `portico_request_duration_seconds_count ${cumulative}`,
  );
  metric("portico_uptime_seconds", "gauge", "Seconds since start.", [["", s.uptimeSeconds]]);
  return `${lines.join("\n")}\n`;
}
