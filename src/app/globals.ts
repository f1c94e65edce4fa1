// The fetch globals of a worker thread that runs an app: `Response` becomes the lightweight AppResponse
// (its bodies reach the socket without streams), and `Request` a subclass of undici's that also accepts the
// lightweight requests fetch receives (`new Request(request)` copies one as it would a real one). Done once
// per thread, before the app is imported. Real Requests and Responses stay `instanceof` both globals.

import { AppRequest } from "./fetch-request.ts";
import { AppResponse } from "./fetch-response.ts";

const NativeRequest = globalThis.Request;

class PorticoRequest extends NativeRequest {
  constructor(input: ConstructorParameters<typeof Request>[0], init?: RequestInit) {
    super(AppRequest.isAppRequest(input) ? AppRequest.toNative(input) : input, init);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof NativeRequest;
  }
}
Object.defineProperty(PorticoRequest, "name", { value: "Request" });
Object.defineProperty(AppResponse, "name", { value: "Response" });

let installed = false;

export function installFetchGlobals(): void {
  if (installed) return;
  installed = true;
  Object.defineProperty(globalThis, "Response", {
    value: AppResponse,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  Object.defineProperty(globalThis, "Request", {
    value: PorticoRequest,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
