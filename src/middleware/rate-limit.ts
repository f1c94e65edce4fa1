// rate_limit: a token bucket per key (the client's address, a header or a cookie), over the limit
// 429 with Retry-After (RFC 6585 §4). The bucket is kept as GCRA's one number, the theoretical
// arrival time (TAT): the instant the bucket would be full again. Buckets live in a table in shared
// memory so the limit holds across all threads; the table is set-associative (a key hashes to one set
// of WAYS buckets), so memory is bounded: a new key takes an empty bucket, else a full one (which
// forgets nothing: a new key's bucket starts full), else its set's least recently used one. Every
// word is an Int32 touched only with Atomics, under its set's lock (a spin of a few instructions).

import { loopNow } from "../common/clock.ts";
import { F_COOKIE } from "../http/headers.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { type RateLimitedMessage, rateLimitedChannel } from "./events.ts";
import { answer, type Middleware } from "./middleware.ts";

/** The shared table (runtime/shared-memory.ts creates it): one lock per set, BUCKET_WORDS Int32 per bucket. */
export interface BucketTable {
  /** Int32 lock word per set: 0 free, 1 held. */
  readonly locks: Int32Array;
  /** Per bucket: the key's 64-bit hash (two words, both 0: empty), TAT in µs (two words), last use in s. */
  readonly words: Int32Array;
  readonly sets: number;
}

export const WAYS = 8;
export const BUCKET_WORDS = 5;
const W_KEY_HI = 0;
const W_KEY_LO = 1;
const W_TAT_HI = 2;
const W_TAT_LO = 3;
const W_USED = 4;
const TWO_32 = 0x1_0000_0000;

/** A table of `sets` sets for this thread alone (tests, or a worker without the supervisor's memory). */
export function newBucketTable(sets: number): BucketTable {
  return { locks: new Int32Array(sets), words: new Int32Array(sets * WAYS * BUCKET_WORDS), sets };
}

export interface RateLimitOptions {
  readonly perSecond: number;
  readonly burst: number;
  readonly key: string;
  readonly zone: number;
  readonly table: BucketTable;
  /** Wall-clock milliseconds (every thread must read the same clock); tests pass their own. */
  readonly now?: () => number;
}

export class RateLimit implements Middleware {
  /** The emission interval: microseconds one token takes to come back. */
  readonly #intervalUs: number;
  /** How far TAT may run ahead of now: `burst` intervals (nginx limit_req burst=N nodelay). */
  readonly #toleranceUs: number;
  readonly #zone: number;
  readonly #table: BucketTable;
  readonly #keyKind: "ip" | "header" | "cookie";
  readonly #keyName: string;
  readonly #now: () => number;

  constructor(options: RateLimitOptions) {
    this.#intervalUs = 1e6 / options.perSecond;
    this.#toleranceUs = options.burst * this.#intervalUs;
    this.#zone = options.zone;
    this.#table = options.table;
    const colon = options.key.indexOf(":");
    this.#keyKind = colon === -1 ? "ip" : (options.key.slice(0, colon) as "header" | "cookie");
    this.#keyName = colon === -1 ? "" : options.key.slice(colon + 1);
    this.#now = options.now ?? loopNow;
  }

  intercept(req: Request, res: Response): boolean {
    const wait = this.take(this.#keyOf(req));
    if (wait === 0) return false;
    if (rateLimitedChannel.hasSubscribers) rateLimitedChannel.publish({ request: req } satisfies RateLimitedMessage);
    return answer(res, 429, "Too Many Requests\n", ["Retry-After", String(Math.max(1, Math.ceil(wait / 1000)))]);
  }

  /** Takes one token for `key`: 0 when granted, else the milliseconds until one is available. */
  take(key: string): number {
    // Two 32-bit FNV-1a style hashes with different seeds and primes make the 64-bit key.
    const zone = this.#zone;
    let hi = 0x811c9dc5 ^ zone;
    let lo = 0x01000193 ^ Math.imul(zone, 0x9e3779b1);
    for (let i = 0; i < key.length; i++) {
      const ch = key.charCodeAt(i);
      hi = Math.imul(hi ^ ch, 0x01000193);
      lo = Math.imul(lo ^ ch, 0x5bd1e995);
    }
    if (hi === 0 && lo === 0) lo = 1;
    const t = this.#table;
    const set = (hi >>> 0) % t.sets;
    const nowMs = this.#now();
    const now = Math.floor(nowMs * 1000);
    const usedS = Math.floor(nowMs / 1000) | 0;
    const w = t.words;
    lock(t.locks, set);
    const base = set * WAYS * BUCKET_WORDS;
    let slot = -1;
    let victim = -1;
    let victimRank = Number.POSITIVE_INFINITY;
    for (let way = 0; way < WAYS; way++) {
      const at = base + way * BUCKET_WORDS;
      const kh = Atomics.load(w, at + W_KEY_HI);
      const kl = Atomics.load(w, at + W_KEY_LO);
      if (kh === hi && kl === lo) {
        slot = at;
        break;
      }
      // Rank for eviction: empty (-2) before full (-1) before the least recently used (its last use).
      const rank = kh === 0 && kl === 0 ? -2 : readTat(w, at) <= now ? -1 : Atomics.load(w, at + W_USED) >>> 0;
      if (rank < victimRank) {
        victimRank = rank;
        victim = at;
      }
    }
    let tat: number;
    if (slot === -1) {
      slot = victim;
      Atomics.store(w, slot + W_KEY_HI, hi);
      Atomics.store(w, slot + W_KEY_LO, lo);
      tat = now;
    } else {
      tat = readTat(w, slot);
      if (tat < now) tat = now;
    }
    Atomics.store(w, slot + W_USED, usedS);
    let wait = 0;
    if (tat - now <= this.#toleranceUs) writeTat(w, slot, tat + this.#intervalUs);
    else {
      writeTat(w, slot, tat);
      wait = (tat - now - this.#toleranceUs) / 1000;
    }
    Atomics.store(t.locks, set, 0);
    return wait;
  }

  #keyOf(req: Request): string {
    if (this.#keyKind === "ip") return req.remoteAddress;
    if (this.#keyKind === "header") return req.header(this.#keyName) ?? "";
    return cookieValue(req.getCombined(F_COOKIE), this.#keyName);
  }
}

function lock(locks: Int32Array, set: number): void {
  while (Atomics.compareExchange(locks, set, 0, 1) !== 0) {
    // Another thread holds this set for a few dozen instructions (no allocation, no call out): spin.
  }
}

/** A bucket's TAT in whole microseconds (below 2^53: good until the year 2255). */
function readTat(w: Int32Array, at: number): number {
  return (Atomics.load(w, at + W_TAT_HI) >>> 0) * TWO_32 + (Atomics.load(w, at + W_TAT_LO) >>> 0);
}

function writeTat(w: Int32Array, at: number, us: number): void {
  const whole = Math.round(us);
  Atomics.store(w, at + W_TAT_HI, Math.floor(whole / TWO_32) | 0);
  Atomics.store(w, at + W_TAT_LO, (whole % TWO_32) | 0);
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
