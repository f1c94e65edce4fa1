// Statistics for one worker thread: requests by status and protocol, bytes, connections, a latency
// histogram with its sum, the file cache, and the thread's heap and event-loop delay. Counted in plain
// numbers and stored into this thread's region of the shared BigInt64Array at the end of the turn,
// before any response bytes of the turn reach a socket (shared-row.ts), so any thread summing the
// regions sees every response a client has received. Status-path requests are counted apart.
// Also counted here, in the same turn: requests by site and route (route-stats.ts: one more array
// index per request), the rate limit's rejections and the TLS listener's handshakes.

import diagnosticsChannel from "node:diagnostics_channel";
import { type ELDHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import v8 from "node:v8";
import { monotonicNow } from "../common/clock.ts";
import {
  type ConnectionMessage,
  connectionCloseChannel,
  connectionOpenChannel,
  type RequestFinishMessage,
  requestFinishChannel,
} from "../http/events.ts";
import { HANDSHAKE_FAILURE_KINDS, handshakeChannel, handshakeFailureChannel } from "../tls/handshake-events.ts";
import type { HandshakeFailureMessage, HandshakeMessage } from "../tls/handshake-events.ts";
import { PROTOCOLS, R_RATE_LIMITED, ROUTE_FIELDS, ROUTE_ROW_SLOTS, routeField } from "./route-stats.ts";
import { SharedRow } from "./shared-row.ts";

/** Slot layout of one thread's statistics region (must match runtime/shared-memory.ts). */
export interface StatsLayout {
  readonly requests: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly connectionsTotal: number;
  readonly connectionsActive: number;
  readonly rejected: number;
  /** Sum of all request durations, in whole microseconds (the histogram's _sum). */
  readonly latencySumUs: number;
  /** Requests for the status path itself: kept out of every other figure. */
  readonly statusPathRequests: number;
  readonly status: number;
  readonly statusMin: number;
  readonly statusCount: number;
  readonly latency: number;
  readonly latencyBuckets: number;
  /** PROTOCOLS.length slots: requests per protocol version. */
  readonly protocol: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  /** Event-loop delay of the thread over the last sampling period, microseconds. */
  readonly loopDelayP99Us: number;
  readonly loopDelayMaxUs: number;
  /** The thread's file cache: lookups that hit or missed, and bytes and entries held. */
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly cacheBytes: number;
  readonly cacheEntries: number;
  /** TLS handshakes completed without and with resumption; TLS_FAILURE_KINDS.length failure slots. */
  readonly tlsFull: number;
  readonly tlsResumed: number;
  readonly tlsFailures: number;
  readonly slots: number;
}

/** The kinds of failed TLS handshakes, in slot order. */
export const TLS_FAILURE_KINDS = HANDSHAKE_FAILURE_KINDS;

/** middleware/events.ts rateLimitedChannel: a sibling folder, joined by the channel's name. */
const rateLimitedChannel = diagnosticsChannel.channel("portico:middleware.rate-limited");

export { PROTOCOLS };

export interface StatsRecorderOptions {
  /** The status path prefix ("" when none): its requests are counted apart. */
  readonly statusPath?: string;
  /** How often the thread's heap, event-loop delay and cache size are sampled. */
  readonly sampleMs?: number;
  /** The thread's file cache figures (static/file-cache.ts fileCacheTotals), read live. */
  readonly fileCache?: FileCacheFigures;
  /** Per-thread rows of requests by site and route (route-stats.ts); without it they are not counted. */
  readonly routeStats?: BigInt64Array;
}

export interface FileCacheFigures {
  readonly hits: number;
  readonly misses: number;
  readonly bytes: number;
  readonly entries: number;
}

export class StatsRecorder {
  readonly #row: SharedRow;
  /** This thread's row of route counters, or null. */
  readonly #routes: SharedRow | null;
  readonly #layout: StatsLayout;
  readonly #statusPath: string;
  readonly #sampleMs: number;
  readonly #fileCache: FileCacheFigures | null;
  /** A restarted thread's cache counts from zero: its predecessor's totals are added to them. */
  readonly #hitsBase: number;
  readonly #missesBase: number;
  #timer: NodeJS.Timeout | undefined;
  #loopDelay: ELDHistogram | undefined;
  readonly #onFinish = (m: unknown): void => this.#finish(m as RequestFinishMessage);
  /** Start times (Request.startTime) of this turn's finished responses, whose durations end at the flush. */
  readonly #pendingStarts: number[] = [];
  /**
   * The end of the turn, just before its held writes leave (the row's flush runs in the write hold's
   * release, http/write-hold.ts): the moment this turn's responses are handed to the kernel. One clock
   * read ends every duration of the turn; the histogram is stored before any of those bytes leave.
   */
  readonly #settleDurations = (): void => {
    const starts = this.#pendingStarts;
    const n = starts.length;
    if (n === 0) return;
    const layout = this.#layout;
    const now = monotonicNow();
    let sumUs = 0;
    for (let i = 0; i < n; i++) {
      const durationMs = Math.max(0, now - starts[i]!);
      this.#row.add(layout.latency + latencyBucket(durationMs, layout.latencyBuckets), 1);
      sumUs += Math.round(durationMs * 1000);
    }
    this.#row.add(layout.latencySumUs, sumUs);
    starts.length = 0;
  };
  readonly #onOpen = (_m: unknown): void => {
    this.#row.add(this.#layout.connectionsTotal, 1);
    this.#row.add(this.#layout.connectionsActive, 1);
  };
  readonly #onClose = (_m: unknown): void => {
    this.#row.add(this.#layout.connectionsActive, -1);
  };
  readonly #onHandshake = (m: unknown): void => {
    const layout = this.#layout;
    this.#row.add((m as HandshakeMessage).resumed ? layout.tlsResumed : layout.tlsFull, 1);
  };
  readonly #onHandshakeFailure = (m: unknown): void => {
    this.#row.add(this.#layout.tlsFailures + (m as HandshakeFailureMessage).kind, 1);
  };
  readonly #onRateLimited = (m: unknown): void => {
    const req = (m as { readonly request: { readonly routeSlot: number } }).request;
    this.#routes?.add(req.routeSlot * ROUTE_FIELDS + R_RATE_LIMITED, 1);
  };

  constructor(shared: BigInt64Array, thread: number, layout: StatsLayout, options: StatsRecorderOptions = {}) {
    this.#layout = layout;
    // A restarted thread continues the counts its predecessor stored; its connections died with it.
    this.#row = new SharedRow(shared, thread * layout.slots, layout.slots, this.#settleDurations);
    this.#row.set(layout.connectionsActive, 0);
    this.#row.flush();
    const routes = options.routeStats;
    this.#routes = routes === undefined ? null : new SharedRow(routes, thread * ROUTE_ROW_SLOTS, ROUTE_ROW_SLOTS);
    this.#statusPath = options.statusPath ?? "";
    this.#sampleMs = options.sampleMs ?? 1000;
    this.#fileCache = options.fileCache ?? null;
    this.#hitsBase = this.#row.get(layout.cacheHits);
    this.#missesBase = this.#row.get(layout.cacheMisses);
  }

  start(): void {
    requestFinishChannel.subscribe(this.#onFinish);
    connectionOpenChannel.subscribe(this.#onOpen);
    connectionCloseChannel.subscribe(this.#onClose);
    handshakeChannel.subscribe(this.#onHandshake);
    handshakeFailureChannel.subscribe(this.#onHandshakeFailure);
    if (this.#routes !== null) rateLimitedChannel.subscribe(this.#onRateLimited);
    this.#loopDelay = monitorEventLoopDelay({ resolution: 10 });
    this.#loopDelay.enable();
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.#sampleMs);
    this.#timer.unref();
  }

  stop(): void {
    requestFinishChannel.unsubscribe(this.#onFinish);
    connectionOpenChannel.unsubscribe(this.#onOpen);
    connectionCloseChannel.unsubscribe(this.#onClose);
    handshakeChannel.unsubscribe(this.#onHandshake);
    handshakeFailureChannel.unsubscribe(this.#onHandshakeFailure);
    rateLimitedChannel.unsubscribe(this.#onRateLimited);
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#loopDelay?.disable();
    this.#row.flush();
    this.#routes?.flush();
  }

  /** Publishes the gauges that are sampled rather than counted: heap and event-loop delay. */
  sample(): void {
    const layout = this.#layout;
    const heap = v8.getHeapStatistics();
    this.#row.set(layout.heapUsed, heap.used_heap_size);
    this.#row.set(layout.heapTotal, heap.total_heap_size);
    const delay = this.#loopDelay;
    if (delay !== undefined && delay.count > 0) {
      // The histogram counts from the timer's resolution: a thread that is never late shows ~0.
      this.#row.set(layout.loopDelayP99Us, Math.round(delay.percentile(99) / 1000));
      this.#row.set(layout.loopDelayMaxUs, Math.round(delay.max / 1000));
      delay.reset();
    }
    const cache = this.#fileCache;
    if (cache !== null) {
      this.#row.set(layout.cacheBytes, cache.bytes);
      this.#row.set(layout.cacheEntries, cache.entries);
    }
  }

  #finish(m: RequestFinishMessage): void {
    const layout = this.#layout;
    const req = m.request;
    const cache = this.#fileCache;
    // Lookups are counted by the cache itself; stored here, before the response's last byte leaves.
    if (cache !== null) {
      const hits = this.#hitsBase + cache.hits;
      if (hits !== this.#row.get(layout.cacheHits)) this.#row.set(layout.cacheHits, hits);
      const misses = this.#missesBase + cache.misses;
      if (misses !== this.#row.get(layout.cacheMisses)) this.#row.set(layout.cacheMisses, misses);
    }
    const prefix = this.#statusPath;
    if (prefix !== "" && m.handled && isUnder(req.path, prefix)) {
      this.#row.add(layout.statusPathRequests, 1);
      return;
    }
    this.#row.add(layout.requests, 1);
    this.#row.add(layout.bytesOut, m.bodyBytes);
    this.#row.add(layout.bytesIn, req.headEnd - req.headStart + Math.max(0, req.contentLength));
    const s = m.status - layout.statusMin;
    if (s >= 0 && s < layout.statusCount) this.#row.add(layout.status + s, 1);
    const protocol = protocolSlot(req);
    this.#row.add(layout.protocol + protocol, 1);
    const routes = this.#routes;
    if (routes !== null) {
      const field = routeField(protocol, m.status);
      if (field >= 0) routes.add(req.routeSlot * ROUTE_FIELDS + field, 1);
    }
    // Every count above holds this turn's writes (shared-row.ts): the response's last byte leaves at the
    // end of the turn, where #settleDurations ends its time.
    this.#pendingStarts.push(req.startTime);
  }
}

function isUnder(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 0x2f);
}

/** The protocol slot of a request (HTTP/2 requests carry versionMajor 2 once the h2 engine serves them). */
function protocolSlot(req: { readonly versionMinor: number }): number {
  if ((req as { readonly versionMajor?: number }).versionMajor === 2) return 2;
  return req.versionMinor === 0 ? 0 : 1;
}

export type { ConnectionMessage };

/**
 * The latency histogram bucket of a duration: ceil(log2(µs)) for µs >= 1 (bucket k holds durations up
 * to 2^k µs), the last bucket for anything longer. Computed from the bit length of ceil(µs) - 1, which
 * equals ceil(log2(µs)) without a floating-point logarithm.
 */
export function latencyBucket(durationMs: number, buckets: number): number {
  const micros = Math.min(2 ** 31, Math.max(1, Math.ceil(durationMs * 1000)));
  return Math.min(buckets - 1, 32 - Math.clz32(micros - 1));
}

export interface LatencyBucket {
  /** Upper bound in milliseconds; the last bucket is open-ended (Infinity). */
  readonly leMs: number;
  readonly count: number;
}

/**
 * The q-quantile of the log2 histogram in milliseconds, interpolated linearly inside the bucket it
 * falls in (bucket k spans 2^(k-1)..2^k µs), as Prometheus' histogram_quantile does: the upper bound
 * alone would report every 50 ms request as 65.5 ms.
 */
export function quantileMs(buckets: readonly LatencyBucket[], count: number, q: number): number {
  if (count === 0) return 0;
  const rank = q * count;
  let seen = 0;
  for (let k = 0; k < buckets.length; k++) {
    const n = buckets[k]!.count;
    if (n > 0 && seen + n >= rank) {
      const upper = Number.isFinite(buckets[k]!.leMs) ? buckets[k]!.leMs : buckets[k - 1]!.leMs * 2;
      const lower = k === 0 ? 0 : buckets[k - 1]!.leMs;
      return lower + ((upper - lower) * (rank - seen)) / n;
    }
    seen += n;
  }
  return buckets[buckets.length - 2]!.leMs;
}
