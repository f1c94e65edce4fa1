// One site's routes, compiled once per worker: exact paths in a Map, prefixes longest first; a
// request goes to the route with the longest matching path (nginx `location`, Caddy `handle`). A
// prefix covers whole segments: "/api" covers "/api" and "/api/x", not "/apix"; "/api/" covers what
// starts with it. A request for a slash-ended prefix without its slash ("/api" for "/api/") is
// redirected to it (301), as nginx does. Matching uses the canonical path (canonical-path.ts).

import type { Handler } from "../http/handler.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { canonicalPath, isCanonical } from "./canonical-path.ts";

export interface CompiledRoute {
  readonly path: string;
  readonly exact: boolean;
  readonly handler: Handler;
}

export class SiteRouter implements Handler {
  readonly #exact: ReadonlyMap<string, Handler>;
  readonly #prefixes: readonly string[];
  readonly #handlers: readonly Handler[];
  /** "/api" for a "/api/" route that no route claims without the slash. */
  readonly #slashless: ReadonlySet<string>;
  /** The "/" route's handler, when it is the only prefix: the common one-route site. */
  readonly #only: Handler | null;

  constructor(routes: readonly CompiledRoute[]) {
    const exact = new Map<string, Handler>();
    const prefixed = routes.filter((r) => !r.exact).sort((a, b) => b.path.length - a.path.length);
    for (const r of routes) if (r.exact) exact.set(r.path, r.handler);
    this.#exact = exact;
    this.#prefixes = prefixed.map((r) => r.path);
    this.#handlers = prefixed.map((r) => r.handler);
    const claimed = new Set(routes.map((r) => r.path));
    this.#slashless = new Set(
      prefixed
        .filter((r) => r.path.length > 1 && r.path.endsWith("/") && !claimed.has(r.path.slice(0, -1)))
        .map((r) => r.path.slice(0, -1)),
    );
    this.#only =
      exact.size === 0 && this.#slashless.size === 0 && this.#prefixes.length === 1 && this.#prefixes[0] === "/"
        ? this.#handlers[0]!
        : null;
  }

  handle(req: Request, res: Response): boolean | Promise<boolean> {
    if (this.#only !== null) return this.#only.handle(req, res);
    let path = req.path;
    if (!isCanonical(path, req.pathMayHaveDotSegment)) path = canonicalPath(path) ?? path;
    // "/api" without its slash is the "/api/" route's to redirect, before any shorter route covers it.
    if (this.#slashless.size !== 0 && this.#slashless.has(path)) {
      res.send(
        301,
        ["Location", `${path}/${req.query}`, "Content-Type", "text/plain; charset=utf-8"],
        "Moved Permanently\n",
      );
      return true;
    }
    const handler = this.match(path);
    return handler === null ? false : handler.handle(req, res);
  }

  /** The handler of the route for a canonical path, or null when no route covers it. */
  match(path: string): Handler | null {
    if (this.#exact.size !== 0) {
      const exact = this.#exact.get(path);
      if (exact !== undefined) return exact;
    }
    const prefixes = this.#prefixes;
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i]!;
      if (covers(p, path)) return this.#handlers[i]!;
    }
    return null;
  }
}

/** Whether prefix `p` covers `path` in whole segments. */
export function covers(p: string, path: string): boolean {
  if (p === "/" || path === p) return true;
  if (!path.startsWith(p)) return false;
  return p.charCodeAt(p.length - 1) === 0x2f || path.charCodeAt(p.length) === 0x2f;
}
