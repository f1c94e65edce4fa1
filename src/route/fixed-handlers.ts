// The two handlers that need no folder of their own: `redirect` (the matched path replaced, the rest
// of the path and the query kept; nginx `return 301`, Caddy `redir`) and `respond` (a fixed answer;
// nginx `return 200 "…"`, Caddy `respond`). Their bytes are made once; a request costs one send.

import { Buffer } from "node:buffer";
import type { Handler } from "../http/handler.ts";
import type { Request } from "../http/request.ts";
import { PreparedResponse, type Response } from "../http/response.ts";

export class RedirectHandler implements Handler {
  readonly #status: number;
  readonly #from: string;
  readonly #to: string;
  readonly #exact: boolean;

  /** `from`: the route's path; `exact`: an "=/path" route (the whole path is replaced). */
  constructor(from: string, to: string, status: number, exact: boolean) {
    this.#from = from;
    this.#to = to;
    this.#status = status;
    this.#exact = exact;
  }

  handle(req: Request, res: Response): boolean {
    const rest = this.#exact || !req.path.startsWith(this.#from) ? "" : req.path.slice(this.#from.length);
    // "/old" → "/new/": the seam keeps exactly one slash.
    const location = this.#to.endsWith("/") && rest.startsWith("/") ? this.#to + rest.slice(1) : this.#to + rest;
    res.send(
      this.#status,
      ["Location", location + req.query, "Content-Type", "text/plain; charset=utf-8"],
      `Redirecting to ${location}\n`,
    );
    return true;
  }
}

export class RespondHandler implements Handler {
  readonly #prepared: PreparedResponse;

  constructor(status: number, body: string, contentType: string) {
    this.#prepared = new PreparedResponse(status, ["Content-Type", contentType], Buffer.from(body, "utf8"));
  }

  handle(_req: Request, res: Response): boolean {
    res.sendPrepared(this.#prepared);
    return true;
  }
}
