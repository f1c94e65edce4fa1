// The one interface every balancing policy implements, and the options they are built from.
// A policy only chooses: it does no I/O, keeps no health state, and never counts connections itself.
//
// Active-connection counts: `active` (active-counts.ts) is given `add(i)` by the proxy when a request
// or TCP stream goes to upstream i and `sub(i)` when it ends; policies read `load(i)`. By default each
// pool counts locally; the runtime passes per-thread rows in shared memory instead, so least-conn and
// p2c see the load of every live worker thread, not just their own.

import { ActiveCounts } from "./active-counts.ts";

/** Says whether upstream `index` may be chosen now (healthy, not yet tried by this request, …). */
export type Eligible = (index: number) => boolean;

export interface BalancePolicy {
  /**
   * Picks one eligible upstream and returns its index, or -1 when none is eligible.
   * `key` is the affinity key (client address, header or cookie value) for hashing policies; others
   * ignore it.
   */
  pick(eligible: Eligible, key: string): number;
}

export interface PolicyOptions {
  /** Relative weights, one per upstream (all 1 when not configured); the list's length is the count. */
  readonly weights: readonly number[];
  /** Active-connection counts per upstream (see above). */
  readonly active: ActiveCounts;
  /** Random source in [0, 1); tests pass a seeded one. */
  readonly random: () => number;
}

export type PolicyName = "least-conn" | "round-robin" | "weighted" | "p2c" | "hash";

export const POLICY_NAMES: readonly PolicyName[] = ["least-conn", "round-robin", "weighted", "p2c", "hash"];

/** Options with defaults filled in: equal weights, local counts, Math.random. */
export function policyOptions(count: number, partial: Partial<PolicyOptions> = {}): PolicyOptions {
  return {
    weights: partial.weights ?? new Array<number>(count).fill(1),
    active: partial.active ?? new ActiveCounts(count),
    random: partial.random ?? Math.random,
  };
}
