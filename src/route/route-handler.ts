// One route of one site as a single handler: its field edits (site and route headers, CORS) set on
// the response, its tighter body limits set on the request, its middleware in nginx's phase order
// (rate limit, then allow/deny, then CORS — a preflight carries no credentials — then basic auth),
// then its handler. Compiled once per worker; a request costs a field write and a loop over what
// the route actually uses.

import type { FieldEdits } from "../http/field-edits.ts";
import type { Handler } from "../http/handler.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import type { Middleware } from "../middleware/middleware.ts";

export interface RouteParts {
  readonly edits: FieldEdits | null;
  readonly middleware: readonly Middleware[];
  readonly handler: Handler;
  /** -1 when the route keeps the server's limit. */
  readonly maxBodyBytes: number;
  readonly bodyTimeoutMs: number;
}

export class RouteHandler implements Handler {
  readonly #edits: FieldEdits | null;
  readonly #middleware: readonly Middleware[];
  readonly #handler: Handler;
  readonly #maxBodyBytes: number;
  readonly #bodyTimeoutMs: number;
  /** Whether the route has limits of its own (one test on the request path instead of two). */
  readonly #limited: boolean;

  constructor(parts: RouteParts) {
    this.#edits = parts.edits;
    this.#middleware = parts.middleware;
    this.#handler = parts.handler;
    this.#maxBodyBytes = parts.maxBodyBytes;
    this.#bodyTimeoutMs = parts.bodyTimeoutMs;
    this.#limited = parts.maxBodyBytes >= 0 || parts.bodyTimeoutMs >= 0;
  }

  handle(req: Request, res: Response): boolean | Promise<boolean> {
    res.edits = this.#edits;
    if (this.#limited && this.#limit(req, res)) return true;
    const middleware = this.#middleware;
    for (let i = 0; i < middleware.length; i++) {
      const answered = middleware[i]!.intercept(req, res);
      if (answered === true) return true;
      if (answered !== false) return this.#after(answered, i + 1, req, res);
    }
    return this.#handler.handle(req, res);
  }

  /** Puts the route's limits on the request; true when a declared body is already over (413 sent). */
  #limit(req: Request, res: Response): boolean {
    if (this.#maxBodyBytes >= 0) {
      if (req.contentLength > this.#maxBodyBytes) {
        res.send(413, ["Content-Type", "text/plain; charset=utf-8"], "Content Too Large\n");
        return true;
      }
      req.maxBodyBytes = this.#maxBodyBytes;
    }
    if (this.#bodyTimeoutMs >= 0) req.bodyTimeoutMs = this.#bodyTimeoutMs;
    return false;
  }

  /** Goes on once an asynchronous middleware (basic auth's bcrypt check) lets the request through. */
  async #after(pending: Promise<boolean>, next: number, req: Request, res: Response): Promise<boolean> {
    if (await pending) return true;
    const middleware = this.#middleware;
    for (let i = next; i < middleware.length; i++) {
      const answered = await middleware[i]!.intercept(req, res);
      if (answered) return true;
    }
    return this.#handler.handle(req, res);
  }
}
