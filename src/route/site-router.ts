// One site's routes, compiled once per worker: a request goes to the exact route of its path, else
// to the route with the longest matching prefix (nginx `location`, Caddy `handle`). A prefix covers
// whole segments: "/api" covers "/api" and "/api/x", not "/apix"; "/api/" covers what starts with it.
// A request for a slash-ended prefix without its slash ("/api" for "/api/") is redirected to it
// (301), as nginx does. Matching uses the canonical path (canonical-path.ts).
// The candidates are sorted by the path's second character when the site is built, so a request
// compares itself with the few routes that can match it ("/1k.txt" goes straight to "/"): no hashing
// of the path, and a cost that does not grow with the number of routes.

import type { Handler } from "../http/handler.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { canonicalPath, isCanonical } from "./canonical-path.ts";

export interface CompiledRoute {
  readonly path: string;
  readonly exact: boolean;
  readonly handler: Handler;
  /** Its slot in the per-route statistics (observe/route-stats.ts); 0 when not counted. */
  readonly slot?: number;
}

const EXACT = 0;
/** "/api" of a "/api/" route that no route claims without the slash: redirected. */
const SLASHLESS = 1;
const PREFIX = 2;

interface Candidate {
  readonly kind: number;
  readonly path: string;
  /** null for a slash-form redirect. */
  readonly handler: Handler | null;
  /** The statistics slot requests it takes are counted under (a redirect: its route's). */
  readonly slot: number;
}

/** Candidate lists by a path's second character: 0-127 ASCII, 128 anything above, 129 the path "/". */
const SLOTS = 130;

export class SiteRouter implements Handler {
  readonly #bySecondChar: readonly (readonly Candidate[])[];
  /** The "/" route's handler, when it is the only route: the common one-route site. */
  readonly #only: Handler | null;
  readonly #onlySlot: number;
  /** The statistics slot of the site's requests no route covers. */
  readonly #noRouteSlot: number;

  constructor(routes: readonly CompiledRoute[], noRouteSlot = 0) {
    this.#noRouteSlot = noRouteSlot;
    const prefixed = routes.filter((r) => !r.exact).sort((a, b) => b.path.length - a.path.length);
    const claimed = new Set(routes.map((r) => r.path));
    // In the order they are tried: exact paths, slash-form redirects (before any shorter prefix
    // covers them), then prefixes, longest first.
    const all: Candidate[] = [
      ...routes
        .filter((r) => r.exact)
        .map((r) => ({ kind: EXACT, path: r.path, handler: r.handler, slot: r.slot ?? 0 })),
      ...prefixed
        .filter((r) => r.path.length > 1 && r.path.endsWith("/") && !claimed.has(r.path.slice(0, -1)))
        .map((r) => ({ kind: SLASHLESS, path: r.path.slice(0, -1), handler: null, slot: r.slot ?? 0 })),
      ...prefixed.map((r) => ({ kind: PREFIX, path: r.path, handler: r.handler, slot: r.slot ?? 0 })),
    ];
    const table: Candidate[][] = [];
    for (let slot = 0; slot < SLOTS; slot++) table.push(all.filter((c) => mayMatch(c, slot)));
    this.#bySecondChar = table;
    this.#only =
      routes.length === 1 && prefixed.length === 1 && prefixed[0]!.path === "/" ? prefixed[0]!.handler : null;
    this.#onlySlot = this.#only !== null ? (prefixed[0]!.slot ?? 0) : 0;
  }

  handle(req: Request, res: Response): boolean | Promise<boolean> {
    if (this.#only !== null) {
      req.routeSlot = this.#onlySlot;
      return this.#only.handle(req, res);
    }
    req.routeSlot = this.#noRouteSlot;
    let path = req.path;
    if (!isCanonical(path, req.pathMayHaveDotSegment)) path = canonicalPath(path) ?? path;
    const candidates = this.#bySecondChar[slotOf(path)]!;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      if (c.kind === PREFIX) {
        if (covers(c.path, path)) {
          req.routeSlot = c.slot;
          return c.handler!.handle(req, res);
        }
      } else if (c.path === path) {
        req.routeSlot = c.slot;
        if (c.kind === EXACT) return c.handler!.handle(req, res);
        res.send(
          301,
          ["Location", `${path}/${req.query}`, "Content-Type", "text/plain; charset=utf-8"],
          "Moved Permanently\n",
        );
        return true;
      }
    }
    return false;
  }

  /** The handler of the route for a canonical path, or null when no route covers it (or it redirects). */
  match(path: string): Handler | null {
    for (const c of this.#bySecondChar[slotOf(path)]!) {
      if (c.kind === PREFIX ? covers(c.path, path) : c.path === path) return c.handler;
    }
    return null;
  }
}

function slotOf(path: string): number {
  if (path.length < 2) return 129;
  const c = path.charCodeAt(1);
  return Math.min(c, 128);
}

/** Whether a candidate can match some path of this slot (the "/" prefix matches every path). */
function mayMatch(c: Candidate, slot: number): boolean {
  if (c.kind === PREFIX && c.path === "/") return true;
  return slotOf(c.path) === slot;
}

/** Whether prefix `p` covers `path` in whole segments. */
export function covers(p: string, path: string): boolean {
  if (p === "/" || path === p) return true;
  if (!path.startsWith(p)) return false;
  return p.charCodeAt(p.length - 1) === 0x2f || path.charCodeAt(p.length) === 0x2f;
}
