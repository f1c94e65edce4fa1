// Hands a parsed request to the handler chain, the same way whatever protocol it came on (an HTTP/1.1
// connection, an HTTP/2 stream): a request no handler takes is 404; a handler that throws or rejects
// costs that request a 500, or an abort once its head is out — never the connection or the server.
// Also the engine's own error answers (parse errors, timeouts, limits). Not here: the handlers.

import { errorBody } from "./errors.ts";
import { errorChannel } from "./events.ts";
import type { Handler } from "./handler.ts";
import type { Request } from "./request.ts";
import type { Response } from "./response.ts";

const TEXT_FIELDS = ["Content-Type", "text/plain; charset=utf-8"];

export function dispatchRequest(handler: Handler, req: Request, res: Response, errorDetail: boolean): void {
  let result: boolean | Promise<boolean>;
  try {
    result = handler.handle(req, res);
  } catch (error) {
    handlerFailed(req, res, error, errorDetail);
    return;
  }
  if (result === true) return;
  if (result === false) {
    if (!res.headersSent) sendEngineError(res, 404, "No handler for this request", errorDetail);
    return;
  }
  result.then(
    (taken) => {
      if (!taken && !res.headersSent) sendEngineError(res, 404, "No handler for this request", errorDetail);
    },
    (error: unknown) => handlerFailed(req, res, error, errorDetail),
  );
}

function handlerFailed(req: Request, res: Response, error: unknown, errorDetail: boolean): void {
  if (errorChannel.hasSubscribers) errorChannel.publish({ request: req, error });
  if (req.aborted || res.finished) return;
  if (!res.headersSent) sendEngineError(res, 500, "The handler failed", errorDetail);
  else res.abort();
}

/** An answer the engine makes itself: `Reason: detail` (or just the reason) as text/plain. */
export function sendEngineError(res: Response, status: number, detail: string, errorDetail: boolean): void {
  res.send(status, TEXT_FIELDS, errorBody(status, detail, errorDetail));
}
