// The reverse-proxy handler: finds the pool for the request's path prefix (longest first) and runs a
// ProxyExchange for it; declines requests no pool covers so a chain can try other handlers.
// One per worker thread; upstream sockets, health and counts live in its groups.

import { Sweeper } from "../common/sweeper.ts";
import type { Handler } from "../http/handler.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { type ExchangeSettings, ProxyExchange } from "./exchange.ts";
import { type GroupOptions, UpstreamGroup } from "./group.ts";

export interface ProxyOptions extends ExchangeSettings {
  readonly groups: readonly GroupOptions[];
  /**
   * A router in front already chose this handler by the request's canonical path ("/%61pi/x" is the
   * "/api/" route's): every request belongs to the one group, whatever its raw path looks like.
   */
  readonly routed?: boolean;
}

export class ProxyHandler implements Handler {
  readonly #groups: UpstreamGroup[];
  readonly #settings: ExchangeSettings;
  readonly #sweeper = new Sweeper(250);
  readonly #routed: UpstreamGroup | null;

  constructor(options: ProxyOptions) {
    this.#settings = {
      maxAttempts: options.maxAttempts,
      rewriteHost: options.rewriteHost,
      proto: options.proto,
      errorDetail: options.errorDetail === true,
    };
    this.#groups = options.groups
      .map((g) => new UpstreamGroup(g, this.#sweeper))
      .sort((a, b) => b.prefix.length - a.prefix.length);
    this.#routed = options.routed === true && this.#groups.length === 1 ? this.#groups[0]! : null;
  }

  get groups(): readonly UpstreamGroup[] {
    return this.#groups;
  }

  /** The group whose prefix covers `path`, or null. */
  groupFor(path: string): UpstreamGroup | null {
    for (const g of this.#groups) if (coversPath(g.prefix, path)) return g;
    return null;
  }

  handle(req: Request, res: Response): boolean {
    const group = this.#routed ?? this.groupFor(req.path);
    if (group === null) return false;
    if (req.pathMayHaveDotSegment && hasDotSegment(req.path)) {
      // "/api/../admin" would be matched against /api here but resolved to /admin by the upstream:
      // dot segments (plain or percent-encoded) could reach paths outside the mounted prefix.
      res.send(400, ["Content-Type", "text/plain; charset=utf-8"], "Bad Request: dot segments in a proxied path\n");
      return true;
    }
    if (req.method === "CONNECT") {
      // A reverse proxy forwards requests to its upstreams; it is not a tunnel to arbitrary hosts.
      res.send(
        501,
        ["Content-Type", "text/plain; charset=utf-8"],
        "Not Implemented: CONNECT is not supported by this reverse proxy\n",
      );
      return true;
    }
    new ProxyExchange(req, res, group, this.#settings).start();
    return true;
  }

  close(): void {
    for (const g of this.#groups) g.close();
  }
}

/** True when a path has a "." or ".." segment, also percent-encoded ("%2e", "%2E%2e"). */
export function hasDotSegment(path: string): boolean {
  // A dot segment starts right after a "/": "/1k.txt" needs no closer look.
  if (!path.includes("/.") && !path.includes("/%2")) return false;
  for (const raw of path.split("/")) {
    if (raw.length === 0 || raw.length > 6) continue;
    const segment = raw.replace(/%2e/gi, ".");
    if (segment === "." || segment === "..") return true;
  }
  return false;
}

/** "/api" covers "/api", "/api/x" and "/api?q" but not "/apix"; a prefix ending in "/" covers what starts with it. */
export function coversPath(prefix: string, path: string): boolean {
  if (prefix === "/" || path === prefix) return true;
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith("/") || path.charCodeAt(prefix.length) === 0x2f;
}
