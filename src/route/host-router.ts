// Virtual hosts: picks a handler by the request's host (lower-cased, port removed), falling back to the
// default handler for hosts it does not know. Built once from the configuration; a lookup is one Map get.

import type { Handler } from "../http/handler.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";

export class HostRouter implements Handler {
  readonly #hosts: ReadonlyMap<string, Handler>;
  readonly #fallback: Handler;

  constructor(hosts: ReadonlyMap<string, Handler>, fallback: Handler) {
    this.#hosts = hosts;
    this.#fallback = fallback;
  }

  handle(req: Request, res: Response): boolean | Promise<boolean> {
    const handler = this.#hosts.get(hostName(req.host)) ?? this.#fallback;
    return handler.handle(req, res);
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
