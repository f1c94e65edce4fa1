// Consistent hashing on an affinity key (client address, a header or a cookie: sticky sessions).
// A ring of virtual points (160 per unit of weight) maps each key to an upstream; when an upstream is
// ineligible the key moves to the next point clockwise, so only that upstream's keys move.

import type { BalancePolicy, Eligible, PolicyOptions } from "./policy.ts";

const POINTS_PER_WEIGHT = 160;

/** FNV-1a over the UTF-16 code units, with a final avalanche so nearby keys spread over the ring. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class HashPolicy implements BalancePolicy {
  readonly #points: Uint32Array;
  readonly #owners: Int32Array;
  readonly #count: number;
  #next = 0;

  constructor(options: PolicyOptions) {
    const weights = options.weights;
    this.#count = weights.length;
    const ring: Array<[number, number]> = [];
    for (let i = 0; i < weights.length; i++) {
      const points = Math.max(1, Math.round(weights[i]! * POINTS_PER_WEIGHT));
      for (let p = 0; p < points; p++) ring.push([hashKey(`${i}-${p}`), i]);
    }
    ring.sort((x, y) => x[0] - y[0]);
    this.#points = Uint32Array.from(ring, (r) => r[0]);
    this.#owners = Int32Array.from(ring, (r) => r[1]);
  }

  pick(eligible: Eligible, key: string): number {
    if (key === "") return this.#fallback(eligible);
    const h = hashKey(key);
    const points = this.#points;
    // First point at or after h (binary search), wrapping at the end of the ring.
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    const owners = this.#owners;
    for (let k = 0; k < owners.length; k++) {
      const at = lo + k < owners.length ? lo + k : lo + k - owners.length;
      const owner = owners[at]!;
      if (eligible(owner)) return owner;
    }
    return -1;
  }

  /** No key (no such header or cookie): round robin, so keyless clients still spread. */
  #fallback(eligible: Eligible): number {
    for (let k = 0; k < this.#count; k++) {
      const i = this.#next;
      this.#next = i + 1 >= this.#count ? 0 : i + 1;
      if (eligible(i)) return i;
    }
    return -1;
  }
}
