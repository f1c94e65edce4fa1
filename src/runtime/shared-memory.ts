// The one layout of everything threads share, in SharedArrayBuffers touched only through Atomics:
// connection counters (exact, for load shedding), per-thread statistics (each thread writes only its
// own region), the per-URI lock and version tables (coherent writes), and upstream load counters
// (least-connections balancing: one row per live worker, see proxy/balance/active-counts.ts),
// rate-limit token buckets (middleware/rate-limit.ts: a set-associative table, each set under a lock),
// and the TLS session ticket key ring (tls/ticket-keys.ts lays out its inside; the supervisor rotates it).
// Created by the supervisor, handed to workers in workerData.

import { BUCKET_WORDS, type BucketTable, WAYS } from "../middleware/rate-limit.ts";
import type { CountRows } from "../proxy/balance/active-counts.ts";
import { LOG_STATE_SLOTS } from "../observe/log-rotation.ts";
import { ROUTE_ROW_SLOTS, ROUTE_SLOTS } from "../observe/route-stats.ts";
import { HANDSHAKE_FAILURE_KINDS } from "../tls/handshake-events.ts";
import { UPSTREAM_ROW_SLOTS, UPSTREAM_STATS_MAX } from "../observe/upstream-stats.ts";
import { TICKET_RING_BYTES } from "../tls/ticket-ring.ts";

export const MAX_THREADS = 256;
/** Lock/version slots; URIs hash onto them. Large so that different URIs practically never share one. */
export const URI_SLOTS = 1 << 16;
export const MAX_UPSTREAMS = 1024;
/** Rate-limit bucket sets (WAYS buckets each): 65,536 keys across every route, 1.25 MiB. */
export const RATE_SETS = 8192;

/** Status codes 100–599 each get a counter. */
export const STATUS_MIN = 100;
export const STATUS_COUNT = 500;
/** Latency histogram: bucket k counts durations below 2^k microseconds (the last bucket is open-ended). */
export const LATENCY_BUCKETS = 28;

// Per-thread statistics region (BigInt64 slots).
export const S_REQUESTS = 0;
export const S_BYTES_IN = 1;
export const S_BYTES_OUT = 2;
export const S_CONNECTIONS_TOTAL = 3;
export const S_CONNECTIONS_ACTIVE = 4;
export const S_REJECTED = 5;
export const S_LATENCY_SUM_US = 6;
export const S_STATUS_PATH_REQUESTS = 7;
export const S_STATUS = 8;
export const S_LATENCY = S_STATUS + STATUS_COUNT;
/** Requests per protocol version (observe/stats.ts PROTOCOLS). */
export const S_PROTOCOL = S_LATENCY + LATENCY_BUCKETS;
const PROTOCOL_SLOTS = 4;
export const S_HEAP_USED = S_PROTOCOL + PROTOCOL_SLOTS;
export const S_HEAP_TOTAL = S_HEAP_USED + 1;
export const S_LOOP_DELAY_P99_US = S_HEAP_TOTAL + 1;
export const S_LOOP_DELAY_MAX_US = S_LOOP_DELAY_P99_US + 1;
export const S_CACHE_HITS = S_LOOP_DELAY_MAX_US + 1;
export const S_CACHE_MISSES = S_CACHE_HITS + 1;
export const S_CACHE_BYTES = S_CACHE_MISSES + 1;
export const S_CACHE_ENTRIES = S_CACHE_BYTES + 1;
/** TLS handshakes completed without and with session resumption, and failed ones by kind. */
export const S_TLS_FULL = S_CACHE_ENTRIES + 1;
export const S_TLS_RESUMED = S_TLS_FULL + 1;
export const S_TLS_FAILURES = S_TLS_RESUMED + 1;
export const STATS_SLOTS = S_TLS_FAILURES + HANDSHAKE_FAILURE_KINDS.length;

/** The same layout in the shape observe/stats.ts takes. */
export const STATS_LAYOUT = {
  requests: S_REQUESTS,
  bytesIn: S_BYTES_IN,
  bytesOut: S_BYTES_OUT,
  connectionsTotal: S_CONNECTIONS_TOTAL,
  connectionsActive: S_CONNECTIONS_ACTIVE,
  rejected: S_REJECTED,
  latencySumUs: S_LATENCY_SUM_US,
  statusPathRequests: S_STATUS_PATH_REQUESTS,
  status: S_STATUS,
  statusMin: STATUS_MIN,
  statusCount: STATUS_COUNT,
  latency: S_LATENCY,
  latencyBuckets: LATENCY_BUCKETS,
  protocol: S_PROTOCOL,
  heapUsed: S_HEAP_USED,
  heapTotal: S_HEAP_TOTAL,
  loopDelayP99Us: S_LOOP_DELAY_P99_US,
  loopDelayMaxUs: S_LOOP_DELAY_MAX_US,
  cacheHits: S_CACHE_HITS,
  cacheMisses: S_CACHE_MISSES,
  cacheBytes: S_CACHE_BYTES,
  cacheEntries: S_CACHE_ENTRIES,
  tlsFull: S_TLS_FULL,
  tlsResumed: S_TLS_RESUMED,
  tlsFailures: S_TLS_FAILURES,
  slots: STATS_SLOTS,
} as const;

// Control region (Int32 slots).
export const C_ACTIVE_CONNECTIONS = 0;
export const C_GENERATION = 1;
/** 1 from the shutdown signal on: readiness fails (observe/admin.ts /readyz) while the delay runs. */
export const C_DRAINING = 2;
/** 1 once the start-up banner is out: until then a worker's first log line waits (runtime/output-gate.ts). */
export const C_ANNOUNCED = 3;
/** 1 while ACME has not yet delivered a first certificate (a stand-in is served): readiness fails. */
export const C_CERTIFICATES_PENDING = 4;
const CONTROL_SLOTS = 16;

export interface SharedBuffers {
  readonly control: SharedArrayBuffer;
  readonly stats: SharedArrayBuffer;
  readonly locks: SharedArrayBuffer;
  readonly versions: SharedArrayBuffer;
  readonly upstreams: SharedArrayBuffer;
  readonly upstreamRows: SharedArrayBuffer;
  /** Rate-limit buckets: an Int32 lock per set, then BUCKET_WORDS Int32 per bucket (middleware/rate-limit.ts). */
  readonly rateLocks: SharedArrayBuffer;
  readonly rateBuckets: SharedArrayBuffer;
  /** Per-thread rows of per-upstream statistics (observe/upstream-stats.ts). */
  readonly upstreamStats: SharedArrayBuffer;
  /** The registry of their slots: an upstream's "host:port" hash per slot (observe/upstream-stats.ts). */
  readonly upstreamSlots: SharedArrayBuffer;
  /** Per-thread rows of requests by site and route (observe/route-stats.ts), and the registry of their slots. */
  readonly routeStats: SharedArrayBuffer;
  readonly routeSlots: SharedArrayBuffer;
  /** The access log file's rotation state, shared by the threads appending to it (observe/access-log.ts). */
  readonly logState: SharedArrayBuffer;
  /** Session ticket keys: one ring for every thread, so a session resumes on any of them. */
  readonly ticketKeys: SharedArrayBuffer;
}

/** A fresh table of active health verdicts for one configuration (see WorkerData.verdicts). */
export function newVerdicts(): SharedArrayBuffer {
  return new SharedArrayBuffer(MAX_UPSTREAMS * 4);
}

/** Typed views over the shared buffers; every thread builds its own from the same buffers. */
export class SharedState {
  readonly buffers: SharedBuffers;
  /** Supervisor only: which rows of upstream counts a worker configuration holds. */
  readonly #countRowsInUse: boolean[] = [];
  /** Int32 control counters (C_*). */
  readonly control: Int32Array;
  /** Per-thread BigInt64 statistics: thread t's region starts at t * STATS_SLOTS. */
  readonly stats: BigInt64Array;
  /** Two Int32 per URI slot: [state, waiting writers]; state > 0 readers, −1 a writer, 0 free. */
  readonly locks: Int32Array;
  /** Int32 version per URI slot, bumped by each write. */
  readonly versions: Int32Array;
  /**
   * Int32 active requests per upstream, one row of MAX_UPSTREAMS per worker: a worker writes only its
   * own row, readers sum the rows of live workers, so a crashed worker's in-flight counts vanish.
   */
  readonly upstreams: Int32Array;
  /** Int32 [rows worth scanning, then a live flag per row]; rows are handed out by the supervisor. */
  readonly upstreamRows: Int32Array;
  /** Rate-limit buckets, touched only under their set's lock (taken and released with Atomics). */
  readonly rateBuckets: BucketTable;
  /** Per-thread BigInt64 upstream statistics: thread t's row starts at t * UPSTREAM_ROW_SLOTS. */
  readonly upstreamStats: BigInt64Array;
  /** The hash of each upstream slot's "host:port" (observe/upstream-stats.ts UpstreamSlots). */
  readonly upstreamSlots: BigInt64Array;
  readonly logState: BigInt64Array;
  /** Per-thread BigInt64 route statistics: thread t's row starts at t * ROUTE_ROW_SLOTS. */
  readonly routeStats: BigInt64Array;
  /** The hash of each route slot's key (observe/route-stats.ts RouteSlots). */
  readonly routeSlots: BigInt64Array;

  constructor(buffers: SharedBuffers) {
    this.buffers = buffers;
    this.control = new Int32Array(buffers.control);
    this.stats = new BigInt64Array(buffers.stats);
    this.locks = new Int32Array(buffers.locks);
    this.versions = new Int32Array(buffers.versions);
    this.upstreams = new Int32Array(buffers.upstreams);
    this.upstreamRows = new Int32Array(buffers.upstreamRows);
    this.rateBuckets = {
      locks: new Int32Array(buffers.rateLocks),
      words: new Int32Array(buffers.rateBuckets),
      sets: RATE_SETS,
    };
    this.upstreamStats = new BigInt64Array(buffers.upstreamStats);
    this.upstreamSlots = new BigInt64Array(buffers.upstreamSlots);
    this.logState = new BigInt64Array(buffers.logState);
    this.routeStats = new BigInt64Array(buffers.routeStats);
    this.routeSlots = new BigInt64Array(buffers.routeSlots);
  }

  static create(): SharedState {
    return new SharedState({
      control: new SharedArrayBuffer(CONTROL_SLOTS * 4),
      stats: new SharedArrayBuffer(MAX_THREADS * STATS_SLOTS * 8),
      locks: new SharedArrayBuffer(URI_SLOTS * 2 * 4),
      versions: new SharedArrayBuffer(URI_SLOTS * 4),
      upstreams: new SharedArrayBuffer(MAX_THREADS * MAX_UPSTREAMS * 4),
      upstreamRows: new SharedArrayBuffer((1 + MAX_THREADS) * 4),
      rateLocks: new SharedArrayBuffer(RATE_SETS * 4),
      rateBuckets: new SharedArrayBuffer(RATE_SETS * WAYS * BUCKET_WORDS * 4),
      // 4 MiB of address space; only the rows of running threads and configured upstreams are touched.
      upstreamStats: new SharedArrayBuffer(MAX_THREADS * UPSTREAM_ROW_SLOTS * 8),
      upstreamSlots: new SharedArrayBuffer(UPSTREAM_STATS_MAX * 8),
      // 8 MiB of address space, touched only in the rows of running threads.
      routeStats: new SharedArrayBuffer(MAX_THREADS * ROUTE_ROW_SLOTS * 8),
      routeSlots: new SharedArrayBuffer(ROUTE_SLOTS * 8),
      logState: new SharedArrayBuffer(LOG_STATE_SLOTS * 8),
      ticketKeys: new SharedArrayBuffer(TICKET_RING_BYTES),
    });
  }

  /**
   * Supervisor: a free row of upstream counts for one worker configuration (a worker holds two while a
   * reload's replaced configuration finishes its requests), opened; -1 when all rows are taken.
   */
  claimCountRow(): number {
    const inUse = this.#countRowsInUse;
    const free = inUse.indexOf(false);
    const row = free !== -1 ? free : inUse.length < MAX_THREADS ? inUse.length : -1;
    if (row === -1) return -1;
    inUse[row] = true;
    this.openCountRow(row);
    return row;
  }

  /** Supervisor: the row's configuration is gone: its in-flight counts leave the sum at once. */
  releaseCountRow(row: number): void {
    if (row === -1) return;
    this.closeCountRow(row);
    this.#countRowsInUse[row] = false;
  }

  /** Supervisor: marks `row` as about to be used by a new worker, so readers scan that far. */
  openCountRow(row: number): void {
    const rows = this.upstreamRows;
    while (true) {
      const scanned = Atomics.load(rows, 0);
      if (scanned > row || Atomics.compareExchange(rows, 0, scanned, row + 1) === scanned) return;
    }
  }

  /**
   * Worker, at start: zeroes its row (whatever a dead predecessor left there) and joins the readers'
   * sum. Returns the view the proxy counts through.
   */
  joinCountRow(row: number): CountRows {
    const base = row * MAX_UPSTREAMS;
    for (let i = 0; i < MAX_UPSTREAMS; i++) Atomics.store(this.upstreams, base + i, 0);
    Atomics.store(this.upstreamRows, 1 + row, 1);
    return { table: this.upstreams, stride: MAX_UPSTREAMS, row, live: this.upstreamRows };
  }

  /**
   * Worker, when a reload replaces the configuration that counts in `row`: the row leaves the sum
   * (its slots meant the old configuration's upstreams) but keeps counting down what is still open.
   */
  leaveCountRow(row: number): void {
    Atomics.store(this.upstreamRows, 1 + row, 0);
  }

  /** True when nothing is counted in `row` any more (a replaced configuration's requests are all done). */
  isCountRowIdle(row: number): boolean {
    const base = row * MAX_UPSTREAMS;
    for (let i = 0; i < MAX_UPSTREAMS; i++) if (Atomics.load(this.upstreams, base + i) !== 0) return false;
    return true;
  }

  /** Supervisor, once the worker of `row` has exited: its counts leave the sum and the row is clean for reuse. */
  closeCountRow(row: number): void {
    Atomics.store(this.upstreamRows, 1 + row, 0);
    const base = row * MAX_UPSTREAMS;
    for (let i = 0; i < MAX_UPSTREAMS; i++) Atomics.store(this.upstreams, base + i, 0);
  }

  /** Sums one statistics slot over all threads. */
  sumStat(slot: number): bigint {
    let total = 0n;
    for (let t = 0; t < MAX_THREADS; t++) total += Atomics.load(this.stats, t * STATS_SLOTS + slot);
    return total;
  }

  /** One thread's value of a statistics slot. */
  threadStat(thread: number, slot: number): bigint {
    return Atomics.load(this.stats, thread * STATS_SLOTS + slot);
  }
}
