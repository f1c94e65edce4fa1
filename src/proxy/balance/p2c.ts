// Power of two random choices: draw two distinct eligible upstreams at random and take the one with
// fewer active requests per unit of weight. Nearly as good as least connections, without the herd
// effect of every thread choosing the same "least" upstream at once.

import type { ActiveCounts } from "./active-counts.ts";
import type { BalancePolicy, Eligible, PolicyOptions } from "./policy.ts";

export class PowerOfTwoPolicy implements BalancePolicy {
  readonly #active: ActiveCounts;
  readonly #weights: readonly number[];
  readonly #random: () => number;
  readonly #scratch: Int32Array;

  constructor(options: PolicyOptions) {
    this.#active = options.active;
    this.#weights = options.weights;
    this.#random = options.random;
    this.#scratch = new Int32Array(options.weights.length);
  }

  pick(eligible: Eligible, _key: string): number {
    const candidates = this.#scratch;
    let m = 0;
    for (let i = 0; i < this.#weights.length; i++) if (eligible(i)) candidates[m++] = i;
    if (m === 0) return -1;
    if (m === 1) return candidates[0]!;
    const a = candidates[Math.floor(this.#random() * m)]!;
    let b = candidates[Math.floor(this.#random() * (m - 1))]!;
    if (b === a) b = candidates[m - 1]!;
    const loadA = this.#active.load(a) / this.#weights[a]!;
    const loadB = this.#active.load(b) / this.#weights[b]!;
    return loadB < loadA ? b : a;
  }
}
