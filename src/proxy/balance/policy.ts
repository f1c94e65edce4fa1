// The one interface every balancing policy implements, and the options they are built from.
// A policy only chooses: it does no I/O, keeps no health state, and never counts connections itself.
//
// Active-connection counts: `active` is an Int32Array with one slot per upstream, read and written
// only through Atomics. The proxy does `Atomics.add(active, i, 1)` when a request or TCP stream is
// given to upstream i and `Atomics.sub(active, i, 1)` when it ends. By default each pool gets a local
// `new Int32Array(n)`; the runtime may pass a view over a SharedArrayBuffer instead so least-conn and
// p2c see the load of every worker thread, not just their own.

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
  /** Active-connection counts, one slot per upstream, touched only with Atomics (see above). */
  readonly active: Int32Array;
  /** Random source in [0, 1); tests pass a seeded one. */
  readonly random: () => number;
}

export type PolicyName = "least-conn" | "round-robin" | "weighted" | "p2c" | "hash";

export const POLICY_NAMES: readonly PolicyName[] = ["least-conn", "round-robin", "weighted", "p2c", "hash"];

/** Options with defaults filled in: equal weights, local counts, Math.random. */
export function policyOptions(count: number, partial: Partial<PolicyOptions> = {}): PolicyOptions {
  return {
    weights: partial.weights ?? new Array<number>(count).fill(1),
    active: partial.active ?? new Int32Array(count),
    random: partial.random ?? Math.random,
  };
}
