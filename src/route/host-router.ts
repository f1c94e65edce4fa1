// One listener's sites: picks a site by the request's host (lower-cased, port removed, trailing dot
// dropped) — exact names by one Map lookup, then "*.example.test" wildcards, longest first — and
// falls back to the listener's first site for hosts no site names. The last Host value and its site
// are kept: a client sends the same Host on every request, and comparing its bytes with the last
// one's costs no string. A listener with one site never looks at the host at all.

import type { Handler } from "../http/handler.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";

export class HostRouter implements Handler {
  readonly #hosts: ReadonlyMap<string, Handler>;
  /** ".example.test" suffixes with their handlers, longest first. */
  readonly #wildcards: readonly (readonly [string, Handler])[];
  readonly #fallback: Handler;
  /** The last Host value as received, and the site it chose. */
  #lastHost = "";
  #lastSite: Handler;

  constructor(hosts: ReadonlyMap<string, Handler>, fallback: Handler) {
    const exact = new Map<string, Handler>();
    const wild: [string, Handler][] = [];
    for (const [name, handler] of hosts) {
      if (name.startsWith("*.")) wild.push([name.slice(1), handler]);
      else exact.set(name, handler);
    }
    this.#hosts = exact;
    this.#wildcards = wild.sort((a, b) => b[0].length - a[0].length);
    this.#fallback = fallback;
    this.#lastSite = this.siteFor("");
  }

  handle(req: Request, res: Response): boolean | Promise<boolean> {
    if (req.hostIs(this.#lastHost, "")) return this.#lastSite.handle(req, res);
    const host = req.host;
    const site = this.siteFor(hostName(host));
    this.#lastHost = host;
    this.#lastSite = site;
    return site.handle(req, res);
  }

  siteFor(name: string): Handler {
    const exact = this.#hosts.get(name);
    if (exact !== undefined) return exact;
    const wildcards = this.#wildcards;
    for (let i = 0; i < wildcards.length; i++) {
      const [suffix, handler] = wildcards[i]!;
      if (name.endsWith(suffix) && name.length > suffix.length) return handler;
    }
    return this.#fallback;
  }
}

/** "Example.COM:8080" → "example.com"; "[::1]:80" → "[::1]"; a trailing dot is dropped. */
export function hostName(host: string): string {
  let end = host.length;
  if (host.startsWith("[")) {
    end = host.indexOf("]") + 1;
  } else {
    const colon = host.lastIndexOf(":");
    if (colon !== -1) end = colon;
  }
  let name = host.slice(0, end).toLowerCase();
  if (name.endsWith(".")) name = name.slice(0, -1);
  return name;
}
