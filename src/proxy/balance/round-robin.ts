// Round robin: each upstream in turn, skipping ineligible ones. Ignores weights and load.

import type { BalancePolicy, Eligible, PolicyOptions } from "./policy.ts";

export class RoundRobinPolicy implements BalancePolicy {
  readonly #count: number;
  #next = 0;

  constructor(options: PolicyOptions) {
    this.#count = options.weights.length;
  }

  pick(eligible: Eligible, _key: string): number {
    const n = this.#count;
    for (let k = 0; k < n; k++) {
      const i = this.#next;
      this.#next = i + 1 >= n ? 0 : i + 1;
      if (eligible(i)) return i;
    }
    return -1;
  }
}
