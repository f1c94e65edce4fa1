// The contract of a route's middleware: look at a request before its handler does, and either let
// it through (false) or answer it (true: a 401, 403, 429 or a CORS preflight). Built once per worker
// from typed options; answering never throws. A middleware may change the response's field edits
// (CORS adds its fields) before the handler runs.

import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";

export interface Middleware {
  /** true: answered here; false: the next middleware or the handler goes on. */
  intercept(req: Request, res: Response): boolean | Promise<boolean>;
}

const TEXT = "text/plain; charset=utf-8";

/** A short plain-text answer, with extra fields. */
export function answer(res: Response, status: number, body: string, fields: readonly string[] = []): true {
  res.send(status, ["Content-Type", TEXT, ...fields], body);
  return true;
}
