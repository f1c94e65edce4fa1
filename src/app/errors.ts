// Stable error codes of application handlers: loading an app module, and what the bridge refuses in
// an app's answer. Errors the app itself throws are passed through unchanged (and logged by events.ts).

export type AppErrorCode =
  /** The app file does not exist or cannot be read. */
  | "APP_NOT_FOUND"
  /** Importing the module threw (a syntax error, a failing import, code that throws at load time). */
  | "APP_LOAD_FAILED"
  /** The module has no default export with a fetch method. */
  | "APP_NO_FETCH"
  /** This Node cannot run the file (TypeScript on a Node without type stripping or module hooks). */
  | "APP_UNSUPPORTED"
  /** fetch returned (or resolved to) something that is not a Response. */
  | "APP_BAD_RESPONSE"
  /** The response body failed while it was being sent (a stream that errored, a non-byte chunk). */
  | "APP_BODY_FAILED";

export class AppError extends Error {
  readonly code: AppErrorCode;

  constructor(code: AppErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "AppError";
  }
}
