// Weighted round robin, the smooth variant (as in nginx): each pick adds every eligible upstream's
// weight to its running score, takes the highest score and subtracts the total. Over any window of
// sum(weights) picks each upstream is chosen weight times, interleaved rather than in bursts.

import type { BalancePolicy, Eligible, PolicyOptions } from "./policy.ts";

export class WeightedPolicy implements BalancePolicy {
  readonly #weights: readonly number[];
  readonly #current: Float64Array;

  constructor(options: PolicyOptions) {
    this.#weights = options.weights;
    this.#current = new Float64Array(options.weights.length);
  }

  pick(eligible: Eligible, _key: string): number {
    const weights = this.#weights;
    const current = this.#current;
    let total = 0;
    let best = -1;
    for (let i = 0; i < weights.length; i++) {
      if (!eligible(i)) continue;
      const w = weights[i]!;
      current[i] = current[i]! + w;
      total += w;
      if (best === -1 || current[i]! > current[best]!) best = i;
    }
    if (best !== -1) current[best] = current[best]! - total;
    return best;
  }
}
