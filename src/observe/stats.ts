// Statistics for one worker thread: requests by status, bytes, connections and a latency histogram.
// Counted in plain numbers on the request path (no atomics per request) and published into this
// thread's region of the shared BigInt64Array a few times a second, where any thread can sum them.

import {
  type ConnectionMessage,
  connectionCloseChannel,
  connectionOpenChannel,
  type RequestFinishMessage,
  requestFinishChannel,
} from "../http/events.ts";

/** Slot layout of one thread's statistics region (must match runtime/shared-memory.ts). */
export interface StatsLayout {
  readonly requests: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly connectionsTotal: number;
  readonly connectionsActive: number;
  readonly rejected: number;
  readonly status: number;
  readonly statusMin: number;
  readonly statusCount: number;
  readonly latency: number;
  readonly latencyBuckets: number;
  readonly slots: number;
}

export class StatsRecorder {
  readonly #shared: BigInt64Array;
  readonly #base: number;
  readonly #layout: StatsLayout;
  readonly #local: Float64Array;
  readonly #published: Float64Array;
  #timer: NodeJS.Timeout | undefined;
  /** Something was counted since the last publish: an idle thread skips the walk over every slot. */
  #dirty = false;
  readonly #onFinish = (m: unknown): void => this.#finish(m as RequestFinishMessage);
  readonly #onOpen = (_m: unknown): void => {
    this.#local[this.#layout.connectionsTotal]!++;
    this.#local[this.#layout.connectionsActive]!++;
    this.#dirty = true;
  };
  readonly #onClose = (_m: unknown): void => {
    this.#local[this.#layout.connectionsActive]!--;
    this.#dirty = true;
  };

  constructor(shared: BigInt64Array, thread: number, layout: StatsLayout) {
    this.#shared = shared;
    this.#layout = layout;
    this.#base = thread * layout.slots;
    this.#local = new Float64Array(layout.slots);
    this.#published = new Float64Array(layout.slots);
    // A restarted thread continues the counts its predecessor published.
    for (let i = 0; i < layout.slots; i++) {
      const v = Number(Atomics.load(shared, this.#base + i));
      this.#local[i] = v;
      this.#published[i] = v;
    }
    this.#local[layout.connectionsActive] = 0;
    this.#dirty = true;
  }

  start(intervalMs = 250): void {
    requestFinishChannel.subscribe(this.#onFinish);
    connectionOpenChannel.subscribe(this.#onOpen);
    connectionCloseChannel.subscribe(this.#onClose);
    this.#timer = setInterval(() => this.publish(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    requestFinishChannel.unsubscribe(this.#onFinish);
    connectionOpenChannel.unsubscribe(this.#onOpen);
    connectionCloseChannel.unsubscribe(this.#onClose);
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.publish();
  }

  /** Writes changed counters into the shared region. */
  publish(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const local = this.#local;
    const published = this.#published;
    for (let i = 0; i < local.length; i++) {
      const v = local[i]!;
      if (v !== published[i]) {
        published[i] = v;
        Atomics.store(this.#shared, this.#base + i, BigInt(v));
      }
    }
  }

  #finish(m: RequestFinishMessage): void {
    const layout = this.#layout;
    const local = this.#local;
    this.#dirty = true;
    local[layout.requests]!++;
    local[layout.bytesOut] = local[layout.bytesOut]! + m.bodyBytes;
    const req = m.request;
    local[layout.bytesIn] = local[layout.bytesIn]! + req.headEnd - req.headStart + Math.max(0, req.contentLength);
    const s = m.status - layout.statusMin;
    if (s >= 0 && s < layout.statusCount) local[layout.status + s]!++;
    const bucket = latencyBucket(m.durationMs, layout.latencyBuckets);
    local[layout.latency + bucket]!++;
  }
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
