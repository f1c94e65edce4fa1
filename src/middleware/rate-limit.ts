// rate_limit: a token bucket per key (the client's address, a header or a cookie), over the limit
// 429 with Retry-After (RFC 6585 §4). Buckets live in a table in shared memory so the limit holds
// across all threads; the table is set-associative (a key hashes to one set of WAYS buckets) and a
// new key takes its set's least recently used bucket, so memory is bounded and idle keys go first.
// Every touch of a set happens under its lock, taken and released with Atomics (a spin of a few
// instructions: the critical section is a handful of loads and stores, so no thread ever waits long).

import { F_COOKIE } from "../http/headers.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { answer, type Middleware } from "./middleware.ts";

/** The shared table (runtime/shared-memory.ts creates it): one lock per set, FIELDS numbers per bucket. */
export interface BucketTable {
  /** Int32 lock word per set: 0 free, 1 held. */
  readonly locks: Int32Array;
  /** Per bucket: key hash, tokens, last refill (ms), last use (ms). */
  readonly buckets: Float64Array;
  readonly sets: number;
}

export const WAYS = 8;
export const FIELDS = 4;

export interface RateLimitOptions {
  readonly perSecond: number;
  readonly burst: number;
  readonly key: string;
  readonly zone: number;
  readonly table: BucketTable;
  /** Milliseconds, wall clock (tests pass their own). */
  readonly now?: () => number;
}

export class RateLimit implements Middleware {
  readonly #perMs: number;
  readonly #capacity: number;
  readonly #zone: number;
  readonly #table: BucketTable;
  readonly #keyKind: "ip" | "header" | "cookie";
  readonly #keyName: string;
  readonly #now: () => number;

  constructor(options: RateLimitOptions) {
    this.#perMs = options.perSecond / 1000;
    // nginx limit_req burst=N nodelay: N requests beyond the one the rate allows now.
    this.#capacity = options.burst + 1;
    this.#zone = options.zone;
    this.#table = options.table;
    const colon = options.key.indexOf(":");
    this.#keyKind = colon === -1 ? "ip" : (options.key.slice(0, colon) as "header" | "cookie");
    this.#keyName = colon === -1 ? "" : options.key.slice(colon + 1);
    this.#now = options.now ?? Date.now;
  }

  intercept(req: Request, res: Response): boolean {
    const wait = this.take(this.#keyOf(req));
    if (wait === 0) return false;
    return answer(res, 429, "Too Many Requests\n", ["Retry-After", String(Math.max(1, Math.ceil(wait / 1000)))]);
  }

  /** Takes one token for `key`: 0 when granted, else the milliseconds until one is available. */
  take(key: string): number {
    const hash = hashKey(key, this.#zone);
    const t = this.#table;
    const set = hash % t.sets;
    const now = this.#now();
    const b = t.buckets;
    lock(t.locks, set);
    try {
      const base = set * WAYS * FIELDS;
      let slot = -1;
      let oldest = base;
      for (let w = 0; w < WAYS; w++) {
        const at = base + w * FIELDS;
        if (b[at] === hash) {
          slot = at;
          break;
        }
        if (b[at + 3]! < b[oldest + 3]!) oldest = at;
      }
      let tokens: number;
      if (slot === -1) {
        // A new key (or one evicted since): its bucket starts full, in the least recently used way.
        slot = oldest;
        b[slot] = hash;
        tokens = this.#capacity;
      } else {
        tokens = Math.min(this.#capacity, b[slot + 1]! + (now - b[slot + 2]!) * this.#perMs);
      }
      b[slot + 2] = now;
      b[slot + 3] = now;
      if (tokens >= 1) {
        b[slot + 1] = tokens - 1;
        return 0;
      }
      b[slot + 1] = tokens;
      return (1 - tokens) / this.#perMs;
    } finally {
      Atomics.store(t.locks, set, 0);
    }
  }

  #keyOf(req: Request): string {
    if (this.#keyKind === "ip") return req.remoteAddress;
    if (this.#keyKind === "header") return req.header(this.#keyName) ?? "";
    return cookieValue(req.getCombined(F_COOKIE), this.#keyName);
  }
}

function lock(locks: Int32Array, set: number): void {
  while (Atomics.compareExchange(locks, set, 0, 1) !== 0) {
    // Another thread holds this set for a few instructions: spin.
  }
}

/** One cookie's value from a Cookie field (RFC 6265 §5.4), or "". */
export function cookieValue(header: string | undefined, name: string): string {
  if (header === undefined) return "";
  for (const part of header.split(/;\s*/)) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return "";
}

/** A 52-bit hash of the zone and key (FNV-1a twice with different seeds), never 0: 0 marks an empty bucket. */
export function hashKey(key: string, zone: number): number {
  let a = 0x811c9dc5 ^ zone;
  let c = 0x01000193 ^ (zone * 2654435761);
  for (let i = 0; i < key.length; i++) {
    const ch = key.charCodeAt(i);
    a = Math.imul(a ^ ch, 0x01000193);
    c = Math.imul(c ^ ch, 0x5bd1e995);
  }
  const h = (a >>> 0) * 0x100000 + ((c >>> 0) & 0xfffff);
  return h === 0 ? 1 : h;
}
