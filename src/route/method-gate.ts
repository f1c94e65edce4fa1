// A handler in front of the chain that answers 501 for methods the site does not implement
// (RFC 9110 §9.1: an unrecognized or unimplemented method gets 501). Declines everything else.

import type { Handler } from "../http/handler.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";

export class MethodGate implements Handler {
  readonly #allowed: ReadonlySet<string>;

  constructor(methods: readonly string[]) {
    this.#allowed = new Set(methods);
  }

  handle(req: Request, res: Response): boolean {
    if (this.#allowed.has(req.method)) return false;
    res.send(501, ["Content-Type", "text/plain; charset=utf-8"], "Not Implemented\n");
    return true;
  }
}
