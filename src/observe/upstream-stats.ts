// Per-upstream statistics, as HAProxy's stats page keeps them per server: tries, tries in flight,
// retries, failures by kind, upstream status classes, response time (sum and histogram), ejections
// and whether the upstream is in rotation. Each thread counts the proxy's events (joined by channel
// name: proxy/ is a sibling folder) into its own row of a shared BigInt64Array (shared-row.ts); the
// status handler sums the rows. An upstream is known by its "host:port" and keeps its slot from a
// registry in shared memory (UpstreamSlots) for the life of the process, whatever its position in
// the configuration: a reload that reorders or removes upstreams leaves each one's counters with it.
// At most UPSTREAM_STATS_MAX upstreams are ever counted (bounded cardinality).

import diagnosticsChannel from "node:diagnostics_channel";
import { hash64 } from "../common/hash64.ts";
import { SharedRow } from "./shared-row.ts";

export const UPSTREAM_STATS_MAX = 64;

export const U_TRIES = 0;
export const U_ACTIVE = 1;
export const U_RETRIES = 2;
/** FAILURE_KINDS.length slots. */
export const U_FAILURES = 3;
/** Five slots: 1xx … 5xx answers. */
export const U_STATUS = 7;
export const U_TIME_SUM_US = 12;
/** UPSTREAM_TIME_BOUNDS_MS.length + 1 slots (the last one open-ended). */
export const U_TIME_BUCKETS = 13;
export const UPSTREAM_TIME_BOUNDS_MS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000] as const;
export const U_EJECTIONS = U_TIME_BUCKETS + UPSTREAM_TIME_BOUNDS_MS.length + 1;
/** 1 while this thread has the upstream out of rotation. */
export const U_DOWN = U_EJECTIONS + 1;
/** FAILURE_KINDS index + 1 of the last failure (0: none), and when it happened (ms since the epoch). */
export const U_LAST_FAILURE = U_DOWN + 1;
export const U_LAST_FAILURE_AT = U_LAST_FAILURE + 1;
/** Idle keep-alive connections this thread holds to the upstream, sampled once a second. */
export const U_IDLE = U_LAST_FAILURE_AT + 1;
export const UPSTREAM_SLOTS = U_IDLE + 1;
/** BigInt64 slots one thread's row takes. */
export const UPSTREAM_ROW_SLOTS = UPSTREAM_STATS_MAX * UPSTREAM_SLOTS;

/** proxy/events.ts CLIENT_GONE. */
const CLIENT_GONE = "CLIENT_GONE";

export const FAILURE_KINDS = ["connect", "timeout", "reset", "protocol"] as const;

/** The failure kind of a proxy error code (proxy/errors.ts). */
export function failureKind(code: string): number {
  if (code === "CONNECT_FAILED") return 0;
  if (code.endsWith("_TIMEOUT")) return 1;
  if (code === "UPSTREAM_RESET") return 2;
  return 3;
}

interface AttemptStart {
  readonly upstream: string;
  /** 1 for a request's first try, 2 for its first retry… */
  readonly attempt: number;
}

interface AttemptEnd {
  readonly upstream: string;
  readonly status: number;
  readonly durationMs: number;
  readonly error: string;
}

interface StateChange {
  readonly upstream: string;
}

const startChannel = diagnosticsChannel.channel("portico:proxy.upstream.start");
const attemptChannel = diagnosticsChannel.channel("portico:proxy.upstream.attempt");
const downChannel = diagnosticsChannel.channel("portico:proxy.upstream.down");
const upChannel = diagnosticsChannel.channel("portico:proxy.upstream.up");

/**
 * The registry: one BigInt64 per slot holding the hash of an upstream's "host:port" (0: free),
 * claimed with compareExchange so threads building the same configuration at once agree without a
 * lock (as route-stats.ts's RouteSlots). A slot is never freed: an upstream a reload removes keeps its
 * totals and continues them if a later reload brings it back (a counter that restarted would read as
 * a reset to rate()); a new upstream takes a fresh slot, so it starts at zero.
 */
export class UpstreamSlots {
  readonly #table: BigInt64Array;

  constructor(table: BigInt64Array) {
    this.#table = table;
  }

  /** The slot of `upstream` ("host:port"), or -1 once UPSTREAM_STATS_MAX upstreams have slots. */
  slotOf(upstream: string): number {
    const digest = hash64(upstream);
    const key = digest === 0n ? 1n : digest;
    const table = this.#table;
    for (let slot = 0; slot < UPSTREAM_STATS_MAX; slot++) {
      const held = Atomics.load(table, slot);
      if (held === key) return slot;
      if (held !== 0n) continue;
      const was = Atomics.compareExchange(table, slot, 0n, key);
      if (was === 0n || was === key) return slot;
    }
    return -1;
  }
}

export class UpstreamStatsRecorder {
  readonly #row: SharedRow;
  /** "host:port" → slot of every upstream this thread has served: only grows (slots are never freed). */
  readonly #index = new Map<string, number>();
  #listening = false;

  constructor(shared: BigInt64Array, thread: number) {
    this.#row = new SharedRow(shared, thread * UPSTREAM_ROW_SLOTS, UPSTREAM_ROW_SLOTS);
    // A restarted thread continues its predecessor's counts; what was in flight or down died with it.
    for (let u = 0; u < UPSTREAM_STATS_MAX; u++) {
      this.#set(u, U_ACTIVE, 0);
      this.#set(u, U_DOWN, 0);
      this.#set(u, U_IDLE, 0);
    }
    this.#row.flush();
  }

  /**
   * A configuration starts serving: its upstreams are counted under their slots. Those of the
   * configuration it replaces stay known, so their tries still in flight end where they started.
   * A configuration's upstreams start in rotation (health state is not carried across a reload).
   */
  configure(entries: readonly UpstreamEntry[]): void {
    for (const entry of entries) {
      this.#index.set(entry.upstream, entry.slot);
      this.#set(entry.slot, U_DOWN, 0);
    }
    this.#row.flush();
  }

  /**
   * Stores the idle keep-alive connections of each upstream of the configuration served now, summed
   * over its routes (`idle`: "host:port" and a pool's size, possibly one upstream several times); every
   * other known upstream has none in this thread. Sampled, not counted: a pool changes on every request.
   */
  sampleIdle(idle: Iterable<readonly [string, number]>): void {
    const totals = new Map<number, number>();
    for (const [upstream, n] of idle) {
      const u = this.#index.get(upstream);
      if (u !== undefined) totals.set(u, (totals.get(u) ?? 0) + n);
    }
    for (const u of this.#index.values()) {
      const n = totals.get(u) ?? 0;
      if (this.#row.get(u * UPSTREAM_SLOTS + U_IDLE) !== n) this.#set(u, U_IDLE, n);
    }
  }

  /** Listens to the proxy's events (again after stop()); a second call while listening does nothing. */
  start(): void {
    if (this.#listening) return;
    this.#listening = true;
    startChannel.subscribe(this.#onStart);
    attemptChannel.subscribe(this.#onEnd);
    downChannel.subscribe(this.#onDown);
    upChannel.subscribe(this.#onUp);
  }

  stop(): void {
    if (!this.#listening) return;
    this.#listening = false;
    startChannel.unsubscribe(this.#onStart);
    attemptChannel.unsubscribe(this.#onEnd);
    downChannel.unsubscribe(this.#onDown);
    upChannel.unsubscribe(this.#onUp);
  }

  readonly #onStart = (message: unknown): void => {
    const m = message as AttemptStart;
    const u = this.#index.get(m.upstream);
    if (u === undefined) return;
    this.#add(u, U_TRIES, 1);
    this.#add(u, U_ACTIVE, 1);
    if (m.attempt > 1) this.#add(u, U_RETRIES, 1);
  };

  readonly #onEnd = (message: unknown): void => {
    const m = message as AttemptEnd;
    const u = this.#index.get(m.upstream);
    if (u === undefined) return;
    this.#add(u, U_ACTIVE, -1);
    // The client went away: neither the upstream's failure nor a response time.
    if (m.error === CLIENT_GONE) return;
    if (m.status >= 100 && m.status < 600) this.#add(u, U_STATUS + Math.floor(m.status / 100) - 1, 1);
    if (m.error !== "") {
      const kind = failureKind(m.error);
      this.#add(u, U_FAILURES + kind, 1);
      this.#set(u, U_LAST_FAILURE, kind + 1);
      this.#set(u, U_LAST_FAILURE_AT, Date.now());
      return;
    }
    this.#add(u, U_TIME_SUM_US, Math.round(m.durationMs * 1000));
    let b = 0;
    while (b < UPSTREAM_TIME_BOUNDS_MS.length && m.durationMs > UPSTREAM_TIME_BOUNDS_MS[b]!) b++;
    this.#add(u, U_TIME_BUCKETS + b, 1);
  };

  readonly #onDown = (message: unknown): void => {
    const u = this.#index.get((message as StateChange).upstream);
    if (u === undefined) return;
    this.#add(u, U_EJECTIONS, 1);
    this.#set(u, U_DOWN, 1);
  };

  readonly #onUp = (message: unknown): void => {
    const u = this.#index.get((message as StateChange).upstream);
    if (u !== undefined) this.#set(u, U_DOWN, 0);
  };

  #add(u: number, slot: number, n: number): void {
    this.#row.add(u * UPSTREAM_SLOTS + slot, n);
  }

  #set(u: number, slot: number, v: number): void {
    this.#row.set(u * UPSTREAM_SLOTS + slot, v);
  }
}

/** One upstream as the status page shows it, summed over the threads. */
export interface UpstreamSnapshot {
  readonly upstream: string;
  readonly weight: number;
  /** In rotation on every thread (false when any thread has it out). */
  readonly up: boolean;
  /** Threads that have it out of rotation. */
  readonly downThreads: number;
  readonly tries: number;
  readonly active: number;
  /** Idle keep-alive connections, summed over threads (sampled once a second). */
  readonly idle: number;
  readonly retries: number;
  readonly failures: Readonly<Record<(typeof FAILURE_KINDS)[number], number>>;
  /** "1xx" … "5xx" answers. */
  readonly status: Readonly<Record<string, number>>;
  readonly responseTime: {
    readonly count: number;
    readonly sumSeconds: number;
    /** Cumulative counts per UPSTREAM_TIME_BOUNDS_MS bound, then the total. */
    readonly buckets: ReadonlyArray<{ readonly leMs: number; readonly count: number }>;
  };
  readonly ejections: number;
  readonly lastFailure: { readonly kind: string; readonly at: string } | null;
}

export interface UpstreamEntry {
  readonly upstream: string;
  readonly weight: number;
  /** Its slot in the registry (UpstreamSlots) and in every thread's row. */
  readonly slot: number;
}

export function upstreamSnapshot(
  shared: BigInt64Array,
  threads: number,
  upstreams: readonly UpstreamEntry[],
): UpstreamSnapshot[] {
  return upstreams.map((entry) => {
    const u = entry.slot;
    const sum = (slot: number): number => {
      let total = 0n;
      for (let t = 0; t < threads; t++)
        total += Atomics.load(shared, t * UPSTREAM_ROW_SLOTS + u * UPSTREAM_SLOTS + slot);
      return Number(total);
    };
    let lastKind = 0;
    let lastAt = 0;
    for (let t = 0; t < threads; t++) {
      const row = t * UPSTREAM_ROW_SLOTS + u * UPSTREAM_SLOTS;
      const at = Number(Atomics.load(shared, row + U_LAST_FAILURE_AT));
      if (at > lastAt) {
        lastAt = at;
        lastKind = Number(Atomics.load(shared, row + U_LAST_FAILURE));
      }
    }
    const buckets: Array<{ leMs: number; count: number }> = [];
    let cumulative = 0;
    for (let b = 0; b <= UPSTREAM_TIME_BOUNDS_MS.length; b++) {
      cumulative += sum(U_TIME_BUCKETS + b);
      buckets.push({ leMs: UPSTREAM_TIME_BOUNDS_MS[b] ?? Number.POSITIVE_INFINITY, count: cumulative });
    }
    const downThreads = sum(U_DOWN);
    return {
      upstream: entry.upstream,
      weight: entry.weight,
      up: downThreads === 0,
      downThreads,
      tries: sum(U_TRIES),
      active: sum(U_ACTIVE),
      idle: sum(U_IDLE),
      retries: sum(U_RETRIES),
      failures: {
        connect: sum(U_FAILURES),
        timeout: sum(U_FAILURES + 1),
        reset: sum(U_FAILURES + 2),
        protocol: sum(U_FAILURES + 3),
      },
      status: {
        "1xx": sum(U_STATUS),
        "2xx": sum(U_STATUS + 1),
        "3xx": sum(U_STATUS + 2),
        "4xx": sum(U_STATUS + 3),
        "5xx": sum(U_STATUS + 4),
      },
      responseTime: { count: cumulative, sumSeconds: sum(U_TIME_SUM_US) / 1e6, buckets },
      ejections: sum(U_EJECTIONS),
      lastFailure: lastKind === 0 ? null : { kind: FAILURE_KINDS[lastKind - 1]!, at: new Date(lastAt).toISOString() },
    };
  });
}

/**
 * The upstreams of the proxy routes in order, each "host:port" once (an upstream serving two prefixes
 * is one row, as one server is one row on HAProxy's page), with its first weight and its slot; one
 * the registry has no slot left for is not counted (and not listed).
 */
export function upstreamEntries(
  routes: ReadonlyArray<{ readonly upstreams: ReadonlyArray<{ host: string; port: number; weight: number }> }>,
  slots: UpstreamSlots,
): UpstreamEntry[] {
  const seen = new Set<string>();
  const out: UpstreamEntry[] = [];
  for (const route of routes) {
    for (const u of route.upstreams) {
      // Written as Upstream.authority writes it (proxy/upstream.ts): the key of every event.
      const upstream = `${u.host.includes(":") ? `[${u.host}]` : u.host}:${u.port}`;
      if (seen.has(upstream)) continue;
      seen.add(upstream);
      const slot = slots.slotOf(upstream);
      if (slot >= 0) out.push({ upstream, weight: u.weight, slot });
    }
  }
  return out;
}
