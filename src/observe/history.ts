// The last minutes of the statistics as rates, for the dashboard's charts: one sample a second of
// requests/s by status class, latency percentiles of that second (from the histogram's increase, not
// the all-time histogram), bandwidth and open connections. Every thread that serves the status path
// keeps its own ring from the same shared counters, so whichever thread answers has the whole history.

import type { StatsSnapshot } from "./admin.ts";
import { type LatencyBucket, quantileMs } from "./stats.ts";

export const HISTORY_SAMPLES = 300;

export interface HistorySample {
  /** Milliseconds since the epoch. */
  readonly t: number;
  readonly rps: number;
  /** Requests/s for 1xx … 5xx. */
  readonly classes: readonly [number, number, number, number, number];
  /** Latency percentiles of the requests finished in this interval (0 when none). */
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly bytesInPerSec: number;
  readonly bytesOutPerSec: number;
  readonly connections: number;
}

const CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

export class StatsHistory {
  readonly #samples: HistorySample[] = [];
  #last: { t: number; s: StatsSnapshot } | null = null;

  /** Adds the interval since the previous snapshot; the first snapshot only sets the baseline. */
  add(t: number, s: StatsSnapshot): void {
    const last = this.#last;
    this.#last = { t, s };
    if (last === null || t <= last.t) return;
    const seconds = (t - last.t) / 1000;
    const rate = (now: number, before: number): number => Math.max(0, now - before) / seconds;
    const buckets: LatencyBucket[] = s.latency.buckets.map((b, k) => ({
      leMs: b.leMs,
      count: Math.max(0, b.count - (last.s.latency.buckets[k]?.count ?? 0)),
    }));
    const count = buckets.reduce((n, b) => n + b.count, 0);
    this.#samples.push({
      t,
      rps: rate(s.requests, last.s.requests),
      classes: CLASSES.map((c) => rate(s.statusClasses[c] ?? 0, last.s.statusClasses[c] ?? 0)) as unknown as [
        number,
        number,
        number,
        number,
        number,
      ],
      p50Ms: quantileMs(buckets, count, 0.5),
      p90Ms: quantileMs(buckets, count, 0.9),
      p99Ms: quantileMs(buckets, count, 0.99),
      bytesInPerSec: rate(s.bytesIn, last.s.bytesIn),
      bytesOutPerSec: rate(s.bytesOut, last.s.bytesOut),
      connections: s.connections.active,
    });
    if (this.#samples.length > HISTORY_SAMPLES) this.#samples.shift();
  }

  /** The samples taken after `since` (ms since the epoch), oldest first. */
  since(since: number): HistorySample[] {
    const out: HistorySample[] = [];
    for (const sample of this.#samples) if (sample.t > since) out.push(sample);
    return out;
  }
}
