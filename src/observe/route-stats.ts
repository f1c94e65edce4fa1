// Requests by site and route: every (site, route) of the configuration gets a slot, the same in every
// thread and across reloads, from a registry in shared memory; each thread counts into its own row of
// slots × (status class × protocol, rate-limit rejections) (shared-row.ts), and the status handler sums
// the rows. The request path only stores the slot on the request (route/site-router.ts) and adds one
// to an array index (stats.ts): no lookup and no string per request. Not here: the exposition.

import { hash64 } from "../common/hash64.ts";

/** Slots for the life of the process (two fixed ones included); routes past it share ROUTE_OVERFLOW. */
export const ROUTE_SLOTS = 256;
/** Requests that reached no site's routes: engine errors (400, 408…), the method gate's 501. */
export const ROUTE_UNMATCHED = 0;
/** Routes registered after the registry filled up. */
export const ROUTE_OVERFLOW = 1;
const FIRST_FREE = 2;

/** Protocol label of each protocol slot, in slot order (stats.ts counts by the same slots). */
export const PROTOCOLS = ["HTTP/1.0", "HTTP/1.1", "HTTP/2"] as const;
export const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;
/** Per slot: a counter per protocol × status class, then the rate limit's rejections. */
export const ROUTE_FIELDS = PROTOCOLS.length * STATUS_CLASSES.length + 1;
export const R_RATE_LIMITED = ROUTE_FIELDS - 1;
/** BigInt64 slots one thread's row takes. */
export const ROUTE_ROW_SLOTS = ROUTE_SLOTS * ROUTE_FIELDS;

/** The label a site or route gets when a request matched none, or the registry was full. */
export const NO_ROUTE_LABEL = "(none)";
export const OVERFLOW_LABEL = "(other)";

/**
 * The registry: one BigInt64 per slot holding the hash of its "site\0route" key (0: free). A slot is
 * claimed with compareExchange, so threads building the same configuration at once agree without a
 * lock. A slot is never freed: a route a reload removes keeps its total, and continues it if a later
 * reload brings the route back (a counter that restarted would read as a reset to rate()).
 */
export class RouteSlots {
  readonly #table: BigInt64Array;

  constructor(table: BigInt64Array) {
    this.#table = table;
  }

  /** The slot of `route` (its label: "/api/", "=/healthz", or NO_ROUTE_LABEL) of `site`. */
  slotOf(site: string, route: string): number {
    const key = keyHash(site, route);
    const table = this.#table;
    for (let slot = FIRST_FREE; slot < ROUTE_SLOTS; slot++) {
      const held = Atomics.load(table, slot);
      if (held === key) return slot;
      if (held !== 0n) continue;
      const was = Atomics.compareExchange(table, slot, 0n, key);
      if (was === 0n || was === key) return slot;
    }
    return ROUTE_OVERFLOW;
  }
}

/** A 64-bit hash of the key: configuration time only; never 0 (the free mark). */
function keyHash(site: string, route: string): bigint {
  const v = hash64(`${site}\u0000${route}`);
  return v === 0n ? 1n : v;
}

/** How a route is labelled: its path, with "=" in front of an exact one (as the file writes it). */
export function routeLabel(route: { readonly path: string; readonly exact: boolean }): string {
  return route.exact ? `=${route.path}` : route.path;
}

/** The counter a finished request adds to in its slot's row. */
export function routeField(protocol: number, status: number): number {
  const cls = ((status / 100) | 0) - 1;
  return cls < 0 || cls > 4 ? -1 : protocol * STATUS_CLASSES.length + cls;
}

/** One configured route (or a site's "no route" slot) as the status page shows it. */
export interface RouteEntry {
  readonly site: string;
  readonly route: string;
  readonly slot: number;
  /** Whether the route has a rate limit (its rejections are shown). */
  readonly rateLimited: boolean;
}

export interface RouteSnapshot {
  readonly site: string;
  readonly route: string;
  readonly requests: number;
  /** "1xx" … "5xx". */
  readonly classes: Readonly<Record<string, number>>;
  /** Per protocol ("HTTP/1.1"…), per status class. */
  readonly byProtocol: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Requests the rate limit answered 429; null when the route has no rate limit. */
  readonly rateLimited: number | null;
}

/**
 * The configured routes' figures summed over the threads, in configuration order; then the fixed
 * slots (no site matched, registry overflow) and each site's "no route" slot when they counted any.
 */
export function routeSnapshot(shared: BigInt64Array, threads: number, entries: readonly RouteEntry[]): RouteSnapshot[] {
  const out: RouteSnapshot[] = [];
  const one = (site: string, route: string, slot: number, limited: boolean, always: boolean): void => {
    const counts = new Array<number>(ROUTE_FIELDS).fill(0);
    for (let t = 0; t < threads; t++) {
      const base = t * ROUTE_ROW_SLOTS + slot * ROUTE_FIELDS;
      for (let f = 0; f < ROUTE_FIELDS; f++) counts[f]! += Number(Atomics.load(shared, base + f));
    }
    let requests = 0;
    const classes: Record<string, number> = {};
    const byProtocol: Record<string, Record<string, number>> = {};
    for (const c of STATUS_CLASSES) classes[c] = 0;
    PROTOCOLS.forEach((p, i) => {
      const row: Record<string, number> = {};
      STATUS_CLASSES.forEach((c, k) => {
        const n = counts[i * STATUS_CLASSES.length + k]!;
        row[c] = n;
        classes[c]! += n;
        requests += n;
      });
      byProtocol[p] = row;
    });
    const rejected = counts[R_RATE_LIMITED]!;
    if (!always && requests === 0 && rejected === 0) return;
    out.push({ site, route, requests, classes, byProtocol, rateLimited: limited ? rejected : null });
  };
  const seen = new Set<number>();
  for (const e of entries) {
    // Routes in the overflow slot share it: they are shown together, under their own label.
    if (e.slot === ROUTE_OVERFLOW || seen.has(e.slot)) continue;
    seen.add(e.slot);
    one(e.site, e.route, e.slot, e.rateLimited, e.route !== NO_ROUTE_LABEL);
  }
  one(NO_ROUTE_LABEL, NO_ROUTE_LABEL, ROUTE_UNMATCHED, false, false);
  one(OVERFLOW_LABEL, OVERFLOW_LABEL, ROUTE_OVERFLOW, true, false);
  return out;
}
