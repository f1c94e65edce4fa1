// The handler contract: a handler answers a request, or declines so the next one in a chain may.
// Returning a promise is allowed (file lookups, proxying); the fast path returns a boolean at once.
// A handler that throws or rejects costs that one request a 500 — never the connection or the server.

import type { Request } from "./request.ts";
import type { Response } from "./response.ts";

export interface Handler {
  /**
   * true: the handler took the request and will finish `res` (now or later).
   * false: declined; `res` must be untouched so the next handler can answer.
   */
  handle(req: Request, res: Response): boolean | Promise<boolean>;
}

/** Tries each handler in order until one takes the request; declines when none does. */
export class HandlerChain implements Handler {
  readonly #handlers: readonly Handler[];

  constructor(handlers: readonly Handler[]) {
    this.#handlers = handlers;
  }

  handle(req: Request, res: Response): boolean | Promise<boolean> {
    return this.#from(0, req, res);
  }

  #from(index: number, req: Request, res: Response): boolean | Promise<boolean> {
    const handlers = this.#handlers;
    for (let i = index; i < handlers.length; i++) {
      const result = handlers[i]!.handle(req, res);
      if (result === true) return true;
      if (result === false) continue;
      return result.then((taken) => (taken ? true : this.#from(i + 1, req, res)));
    }
    return false;
  }
}
