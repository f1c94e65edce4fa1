// The Response class app code constructs in a worker thread (globals.ts installs it as `Response`): it
// keeps the body and init it was given, so the bridge (send-response.ts) sends a string or bytes with their
// fields in one write, with no stream and no Headers object. It behaves as the standard Response (and is
// `instanceof Response`); anything only a real undici Response has (a body stream, text(), clone()…)
// builds one first and delegates to it from then on.

/** The fetch types of undici (Node's globals) by construction: this project's TypeScript has no DOM library. */
export type HeadersInit = ConstructorParameters<typeof Headers>[0];
export type BodyInit = ConstructorParameters<typeof Response>[0];

const NativeResponse = globalThis.Response;
const NativeHeaders = globalThis.Headers;
const INSPECT = Symbol.for("nodejs.util.inspect.custom");
const JSON_FIELDS: HeadersInit = [["content-type", "application/json"]];

/** Statuses whose responses never have a body (fetch's "null body status"). */
function isNullBodyStatus(status: number): boolean {
  return status === 101 || status === 103 || status === 204 || status === 205 || status === 304;
}

/** The Content-Type fetch gives a body of this kind when the fields name none ("" for none). */
export function defaultContentType(body: unknown): string {
  if (typeof body === "string") return "text/plain;charset=UTF-8";
  if (body instanceof Blob) return body.type;
  if (body instanceof URLSearchParams) return "application/x-www-form-urlencoded;charset=UTF-8";
  return "";
}

/** What the bridge reads of a response that has not been turned into a real one; filled in place. */
export interface ResponseParts {
  status: number;
  body: unknown;
  /** The fields as given to the constructor (a record, pairs or a Headers), when `headers` is null. */
  init: HeadersInit | undefined;
  /** The fields once someone asked for `headers` (the default Content-Type is in them then). */
  headers: Headers | null;
}

export class AppResponse {
  #body: unknown;
  #status: number;
  #statusText: string;
  #init: HeadersInit | undefined;
  #headers: Headers | null = null;
  #real: Response | null = null;

  constructor(body?: BodyInit | null, init?: ResponseInit) {
    let status = 200;
    let statusText = "";
    let fields: HeadersInit | undefined;
    if (init !== undefined && init !== null) {
      if (init.status !== undefined) {
        status = typeof init.status === "number" ? init.status : Number(init.status);
        if (!(status >= 200 && status <= 599 && Math.trunc(status) === status))
          throw new RangeError(`init["status"] must be in the range of 200 to 599, inclusive.`);
      }
      if (init.statusText !== undefined) {
        statusText = String(init.statusText);
        if (/[^\t\x20-\x7e\x80-\xff]/.test(statusText)) throw new TypeError("Invalid statusText");
      }
      fields = init.headers;
    }
    if (body !== undefined && body !== null && isNullBodyStatus(status))
      throw new TypeError("Response constructor: Invalid response status code " + status);
    this.#body = body ?? null;
    this.#status = status;
    this.#statusText = statusText;
    this.#init = fields;
  }

  get status(): number {
    return this.#real !== null ? this.#real.status : this.#status;
  }

  get statusText(): string {
    return this.#real !== null ? this.#real.statusText : this.#statusText;
  }

  get ok(): boolean {
    const status = this.status;
    return status >= 200 && status <= 299;
  }

  get type(): Response["type"] {
    return this.#real !== null ? this.#real.type : "default";
  }

  get url(): string {
    return this.#real !== null ? this.#real.url : "";
  }

  get redirected(): boolean {
    return this.#real !== null ? this.#real.redirected : false;
  }

  get headers(): Headers {
    if (this.#headers !== null) return this.#headers;
    if (this.#body instanceof FormData) return this.#materialize().headers;
    const headers = new NativeHeaders(this.#init);
    if (!headers.has("content-type")) {
      const type = defaultContentType(this.#body);
      if (type !== "") headers.set("content-type", type);
    }
    return (this.#headers = headers);
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.#materialize().body;
  }

  get bodyUsed(): boolean {
    return this.#real !== null ? this.#real.bodyUsed : false;
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#materialize().arrayBuffer();
  }

  blob(): Promise<Blob> {
    return this.#materialize().blob();
  }

  bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#materialize().bytes() as Promise<Uint8Array<ArrayBuffer>>;
  }

  formData(): Promise<FormData> {
    return this.#materialize().formData();
  }

  json(): Promise<unknown> {
    return this.#materialize().json();
  }

  text(): Promise<string> {
    return this.#materialize().text();
  }

  clone(): Response {
    return this.#materialize().clone();
  }

  [INSPECT](): Response {
    return this.#materialize();
  }

  /** The real Response this one stands for, made once; its fields are the ones `headers` showed. */
  #materialize(): Response {
    if (this.#real !== null) return this.#real;
    const real = new NativeResponse(this.#body as BodyInit | null, {
      status: this.#status,
      statusText: this.#statusText,
      headers: this.#headers ?? this.#init,
    });
    this.#real = real;
    this.#headers = real.headers;
    return real;
  }

  /**
   * Fills `out` for the bridge and returns true, or returns false when a real Response took over
   * (then `toNative` gives it).
   */
  static parts(response: AppResponse, out: ResponseParts): boolean {
    if (response.#real !== null) return false;
    out.status = response.#status;
    out.body = response.#body;
    out.init = response.#init;
    out.headers = response.#headers;
    return true;
  }

  static toNative(response: AppResponse): Response {
    return response.#materialize();
  }

  static isAppResponse(value: unknown): value is AppResponse {
    return typeof value === "object" && value !== null && #body in value;
  }

  static json(data: unknown, init?: ResponseInit): AppResponse {
    const body = JSON.stringify(data);
    if (body === undefined) throw new TypeError("Response.json: the value is not JSON serializable");
    if (init?.headers === undefined) return new AppResponse(body, { ...init, headers: JSON_FIELDS });
    const headers = new NativeHeaders(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new AppResponse(body, { ...init, headers });
  }

  /** Real responses (from fetch(), Response.error()…) and these are both `instanceof Response`. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof NativeResponse;
  }
}
// Response.error() and Response.redirect() are inherited and return real responses.
Object.setPrototypeOf(AppResponse, NativeResponse);
Object.setPrototypeOf(AppResponse.prototype, NativeResponse.prototype);
