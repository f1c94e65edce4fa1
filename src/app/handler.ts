// An app as a Handler: each request becomes a lightweight Request (fetch-request.ts) handed to the app's
// fetch with the connection's details (AppInfo); the Response it returns, at once or later, goes out
// through send-response.ts. A fetch that throws or rejects, or a response that cannot be sent, costs that
// request a 500 (or its connection, once bytes of the response are out) and is reported once (events.ts).
// Not here: loading the app module (load.ts).

import { isReadView } from "../http/arena.ts";
import { errorBody } from "../http/errors.ts";
import type { Handler } from "../http/handler.ts";
import type { Request as HttpRequest } from "../http/request.ts";
import type { Response as HttpResponse } from "../http/response.ts";
import { reportAppError } from "./events.ts";
import { AppRequest, type RequestOrigin } from "./fetch-request.ts";
import { AppResponse } from "./fetch-response.ts";
import { discardResponse, sendResponse } from "./send-response.ts";
import type { App, AppInfo } from "./types.ts";

export interface AppHandlerOptions {
  readonly app: App;
  /** The connections are TLS: request URLs are https: and AppInfo.tls is true. */
  readonly tls: boolean;
  /** A 500's body names the failure (--error-detail); the stack only ever goes to the log. */
  readonly errorDetail: boolean;
}

const PLAIN_FIELDS: readonly string[] = ["Content-Type", "text/plain; charset=utf-8"];

/** AppInfo over the engine's request: peer details are read from the connection only when asked for. */
class ConnectionInfo implements AppInfo {
  readonly #req: HttpRequest;
  readonly tls: boolean;

  constructor(req: HttpRequest, tls: boolean) {
    this.#req = req;
    this.tls = tls;
  }

  get remoteAddress(): string {
    return this.#req.remoteAddress;
  }

  get remotePort(): number {
    return this.#req.remotePort;
  }

  get localPort(): number {
    return this.#req.localPort;
  }

  toJSON(): AppInfo {
    return { remoteAddress: this.remoteAddress, remotePort: this.remotePort, localPort: this.localPort, tls: this.tls };
  }
}

export class AppHandler implements Handler {
  readonly #app: App;
  readonly #origin: RequestOrigin;
  readonly #tls: boolean;
  readonly #errorBody: string;

  constructor(options: AppHandlerOptions) {
    this.#app = options.app;
    this.#tls = options.tls;
    this.#origin = { scheme: options.tls ? "https" : "http" };
    this.#errorBody = errorBody(500, "The application failed", options.errorDetail);
  }

  handle(req: HttpRequest, res: HttpResponse): boolean {
    const request = new AppRequest(req, this.#origin);
    let result: Response | Promise<Response>;
    try {
      result = this.#app.fetch(request as unknown as Request, new ConnectionInfo(req, this.#tls));
    } catch (error) {
      this.#failed(request, req, res, error, "fetch");
      return true;
    }
    if (result instanceof Promise || (!AppResponse.isAppResponse(result) && isThenable(result))) {
      // Answered later: the connection keeps the head's bytes for the request meanwhile.
      (result as PromiseLike<Response>).then(
        (value) => this.#send(value, request, req, res),
        (error: unknown) => this.#failed(request, req, res, error, "fetch"),
      );
    } else {
      this.#send(result, request, req, res);
    }
    return true;
  }

  #send(value: unknown, request: AppRequest, req: HttpRequest, res: HttpResponse): void {
    request.release(isReadView(req.raw));
    if (req.aborted || res.finished) {
      discardResponse(value);
      return;
    }
    let pending: Promise<void> | null;
    try {
      pending = sendResponse(value, req, res);
    } catch (error) {
      this.#failed(request, req, res, error, "response");
      return;
    }
    pending?.then(undefined, (error: unknown) => this.#failed(request, req, res, error, "response"));
  }

  #failed(request: AppRequest, req: HttpRequest, res: HttpResponse, error: unknown, phase: "fetch" | "response"): void {
    request.release(isReadView(req.raw));
    reportAppError(`${req.method} ${req.target}`, error, phase);
    if (req.aborted || res.finished) return;
    // A streamed head not written yet is taken back, so a body that fails before its first byte is a 500.
    if (!res.headersSent || res.retractHead()) res.send(500, PLAIN_FIELDS, this.#errorBody);
    else res.abort();
  }
}

function isThenable(value: unknown): boolean {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
