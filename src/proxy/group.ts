// A pool of upstreams behind one route prefix: the upstreams, their balancing policy and the
// active-request counts the policy reads. Selection asks health (isAvailable) but never changes it.

import type { Sweeper } from "../common/sweeper.ts";
import type { AffinitySource } from "./affinity.ts";
import { ActiveCounts } from "./balance/active-counts.ts";
import { createPolicy } from "./balance/create-policy.ts";
import { type BalancePolicy, type PolicyName, policyOptions } from "./balance/policy.ts";
import { HealthChecker, type ActiveOptions, type SharedVerdicts } from "./health/active.ts";
import { Upstream, type UpstreamAddress, type UpstreamOptions } from "./upstream.ts";
import type { UpstreamConnection } from "./upstream-connection.ts";
import type { UpstreamTimeouts } from "./upstream-listener.ts";

export interface GroupOptions {
  /** Route prefix, e.g. "/" or "/api/". */
  readonly prefix: string;
  /** The upstream URL's path replacing the prefix, or null to forward the path unchanged. */
  readonly basePath: string | null;
  readonly upstreams: readonly UpstreamAddress[];
  readonly policy: PolicyName;
  readonly affinity: AffinitySource;
  readonly upstream: UpstreamOptions;
  readonly timeouts: UpstreamTimeouts;
  /** Active health checks, or null for passive health only. */
  readonly active: ActiveOptions | null;
  /** Per-upstream active counts; per-thread rows in shared memory when the runtime provides them. */
  readonly counts?: ActiveCounts;
  /** Active verdicts shared between threads, this group's upstreams from slot `offset` on. */
  readonly verdicts?: SharedVerdicts & { readonly offset: number };
}

export class UpstreamGroup {
  readonly prefix: string;
  readonly basePath: string | null;
  readonly upstreams: ReadonlyArray<Upstream<UpstreamConnection>>;
  readonly counts: ActiveCounts;
  readonly affinity: AffinitySource;
  readonly timeouts: UpstreamTimeouts;
  readonly sweeper: Sweeper;
  readonly #policy: BalancePolicy;
  readonly #checker: HealthChecker | null;
  #now = 0;
  #tried: readonly number[] = [];
  readonly #eligible = (i: number): boolean => this.upstreams[i]!.isAvailable(this.#now) && !this.#tried.includes(i);

  constructor(options: GroupOptions, sweeper: Sweeper) {
    this.prefix = options.prefix;
    this.basePath = options.basePath;
    this.affinity = options.affinity;
    this.timeouts = options.timeouts;
    this.sweeper = sweeper;
    this.upstreams = options.upstreams.map((a, i) => new Upstream<UpstreamConnection>(i, a, options.upstream));
    this.counts = options.counts ?? new ActiveCounts(options.upstreams.length);
    this.#policy = createPolicy(
      options.policy,
      policyOptions(options.upstreams.length, { weights: options.upstreams.map((u) => u.weight), active: this.counts }),
    );
    const verdicts = options.active === null ? undefined : options.verdicts;
    if (verdicts !== undefined) {
      for (const [i, u] of this.upstreams.entries()) u.active.share(verdicts.table, verdicts.offset + i);
    }
    // With shared verdicts one thread probes for all; without, each group probes for itself.
    this.#checker =
      options.active === null || (verdicts !== undefined && !verdicts.prober)
        ? null
        : new HealthChecker(
            this.upstreams.map((u) => ({
              host: u.host,
              port: u.port,
              authority: u.authority,
              tls: u.tls,
              health: u.active,
              changed: (up: boolean, reason: string) => u.activeChanged(up, reason),
            })),
            options.active,
          );
    this.#checker?.start();
  }

  /** Index of the upstream to use, skipping `tried` ones; -1 when none is available. */
  select(key: string, tried: readonly number[], nowMs: number): number {
    this.#now = nowMs;
    this.#tried = tried;
    const i = this.#policy.pick(this.#eligible, key);
    this.#tried = NONE;
    return i;
  }

  /** How many upstreams are out of rotation now (for the 503 message). */
  unavailableCount(nowMs: number): number {
    let n = 0;
    for (const u of this.upstreams) if (!u.isAvailable(nowMs)) n++;
    return n;
  }

  close(): void {
    this.#checker?.stop();
    for (const u of this.upstreams) u.pool.clear();
  }
}

const NONE: readonly number[] = [];
