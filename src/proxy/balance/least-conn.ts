// Least connections: the eligible upstream with the fewest active requests (or streams), counted
// across threads when `active` is shared. Ties rotate so equal upstreams share the load evenly.
// Weights scale capacity: an upstream of weight 2 is "as loaded" as one of weight 1 with half its count.

import type { ActiveCounts } from "./active-counts.ts";
import type { BalancePolicy, Eligible, PolicyOptions } from "./policy.ts";

export class LeastConnPolicy implements BalancePolicy {
  readonly #active: ActiveCounts;
  readonly #weights: readonly number[];
  #next = 0;

  constructor(options: PolicyOptions) {
    this.#active = options.active;
    this.#weights = options.weights;
  }

  pick(eligible: Eligible, _key: string): number {
    const n = this.#weights.length;
    // One upstream: no counts to compare (reading them is a shared-memory load per live thread).
    if (n === 1) return eligible(0) ? 0 : -1;
    const start = this.#next;
    this.#next = start + 1 >= n ? 0 : start + 1;
    let best = -1;
    let bestLoad = Infinity;
    for (let k = 0; k < n; k++) {
      const i = start + k < n ? start + k : start + k - n;
      if (!eligible(i)) continue;
      const load = this.#active.load(i) / this.#weights[i]!;
      if (load < bestLoad) {
        best = i;
        bestLoad = load;
      }
    }
    return best;
  }
}
