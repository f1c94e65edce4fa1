// The Request an app's fetch receives: a lightweight object that behaves as the standard Request (and
// is `instanceof Request`), reading method, URL and fields straight from the engine's parsed head and the
// body from the connection with backpressure. A full undici Request is built only when asked for what only
// it has (formData(), clone()). Not here: the response side (fetch-response.ts, send-response.ts).

import { Buffer } from "node:buffer";
import type { BodySink, Request as HttpRequest } from "../http/request.ts";
import { RequestHeaders } from "./request-headers.ts";

const NativeRequest = globalThis.Request;
const INSPECT = Symbol.for("nodejs.util.inspect.custom");
const EMPTY = Buffer.alloc(0);
/** The request body stream buffers up to this much before the connection stops reading. */
const STREAM_HIGH_WATER_BYTES = 64 * 1024;

/**
 * The last URL built on this thread and what it was built from: consecutive requests for the same
 * target on the same host (most of a busy server's) share one string, compared without making the host's.
 */
let lastScheme = "";
let lastHost = "";
let lastTarget = "";
let lastUrl = "";

/** Where the request's URL comes from beside the head: scheme, and a host for requests without one. */
export interface RequestOrigin {
  /** "http" or "https". */
  readonly scheme: string;
}

/**
 * The standard Request over one engine request. Settings a server-side request does not have (mode,
 * credentials, cache…) answer what `new Request(url)` would.
 */
export class AppRequest {
  readonly #req: HttpRequest;
  readonly #origin: RequestOrigin;
  #url: string | null = null;
  #headers: RequestHeaders | null = null;
  #controller: AbortController | null = null;
  #stream: ReadableStream<Uint8Array> | null = null;
  /** The body was taken: as a stream, or by text()/json()/…. */
  #bodyUsed = false;
  #real: Request | null = null;

  constructor(req: HttpRequest, origin: RequestOrigin) {
    this.#req = req;
    this.#origin = origin;
  }

  get method(): string {
    return this.#req.method;
  }

  get url(): string {
    return (this.#url ??= this.#buildUrl());
  }

  #buildUrl(): string {
    const req = this.#req;
    const scheme = this.#origin.scheme;
    const target = req.absoluteForm ? req.path + req.query : req.target === "*" ? "/*" : req.target;
    if (target === lastTarget && scheme === lastScheme && lastHost !== "" && req.hostIs(lastHost, "")) return lastUrl;
    const host = req.host;
    // HTTP/1.0 may leave the host out; the URL still needs one (RFC 9112 §3.3 uses the server's).
    if (host === "") return `${scheme}://localhost:${req.localPort}${target}`;
    const url = `${scheme}://${host}${target}`;
    lastScheme = scheme;
    lastHost = host;
    lastTarget = target;
    lastUrl = url;
    return url;
  }

  get headers(): Headers {
    return (this.#headers ??= new RequestHeaders(this.#req)) as unknown as Headers;
  }

  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      this.#req.onAbort(this);
    }
    return this.#controller.signal;
  }

  /** The engine's abort notice: the client went away before the response was complete. */
  requestAborted(): void {
    this.#controller?.abort(new DOMException("The client closed the connection", "AbortError"));
  }

  /**
   * The response is on its way, and the head's bytes may be in the thread's read buffer, which the next
   * read overwrites: what a later call could still read from them is kept.
   */
  release(readBufferHoldsHead: boolean): void {
    if (!readBufferHoldsHead) return;
    this.#url ??= this.#buildUrl();
    const req = this.#req;
    this.#headers ??= new RequestHeaders(req);
    this.#headers.keepText(req.headStart, req.headEnd);
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#real !== null) return this.#real.body;
    if (this.#stream !== null) return this.#stream;
    // GET and HEAD requests carry no body in the fetch model; other methods get an empty stream.
    if (!this.#req.hasBody && (this.#req.method === "GET" || this.#req.method === "HEAD")) return null;
    this.#bodyUsed = true;
    return (this.#stream = bodyStream(this.#req));
  }

  get bodyUsed(): boolean {
    if (this.#real !== null) return this.#real.bodyUsed;
    return this.#stream !== null ? this.#stream.locked : this.#bodyUsed;
  }

  text(): Promise<string> {
    if (this.#real !== null) return this.#real.text();
    return this.#bytes().then(decodeUtf8);
  }

  json(): Promise<unknown> {
    if (this.#real !== null) return this.#real.json();
    return this.#bytes().then((bytes) => JSON.parse(decodeUtf8(bytes)) as unknown);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#real !== null) return this.#real.arrayBuffer();
    return this.#bytes().then(toArrayBuffer);
  }

  bytes(): Promise<Uint8Array<ArrayBuffer>> {
    if (this.#real !== null) return this.#real.bytes() as Promise<Uint8Array<ArrayBuffer>>;
    return this.#bytes().then((bytes) => new Uint8Array(toArrayBuffer(bytes)));
  }

  blob(): Promise<Blob> {
    if (this.#real !== null) return this.#real.blob();
    const type = this.headers.get("content-type") ?? "";
    return this.#bytes().then((bytes) => new Blob([bytes], { type }));
  }

  formData(): Promise<FormData> {
    return this.#materialize().formData();
  }

  clone(): Request {
    return this.#materialize().clone();
  }

  get cache(): "default" {
    return "default";
  }
  get credentials(): "same-origin" {
    return "same-origin";
  }
  get destination(): "" {
    return "";
  }
  get integrity(): string {
    return "";
  }
  get keepalive(): boolean {
    return false;
  }
  get mode(): "cors" {
    return "cors";
  }
  get redirect(): "follow" {
    return "follow";
  }
  get referrer(): string {
    return "about:client";
  }
  get referrerPolicy(): "" {
    return "";
  }
  get duplex(): "half" {
    return "half";
  }
  get isHistoryNavigation(): boolean {
    return false;
  }
  get isReloadNavigation(): boolean {
    return false;
  }

  [INSPECT](): Request {
    return this.#materialize();
  }

  /** The whole body, once: the bytes the connection delivers, or a TypeError as undici gives for a used body. */
  #bytes(): Promise<Buffer> {
    if (this.bodyUsed) return Promise.reject(new TypeError("Body is unusable: Body has already been read"));
    if (this.#stream !== null) return readStream(this.#stream);
    this.#bodyUsed = true;
    const req = this.#req;
    if (!req.hasBody) return Promise.resolve(EMPTY);
    return new Promise((resolve, reject) => req.readBody(new BodyCollector(resolve, reject)));
  }

  /** A real Request with this one's method, URL, fields, signal and (unread) body; made once. */
  #materialize(): Request {
    if (this.#real !== null) return this.#real;
    const method = this.#req.method;
    const withBody = method !== "GET" && method !== "HEAD";
    if (withBody && this.bodyUsed) throw new TypeError("Body is unusable: Body has already been read");
    const init: RequestInit & { duplex: "half" } = {
      method,
      headers: this.headers,
      signal: this.signal,
      duplex: "half",
    };
    if (withBody) init.body = this.body;
    this.#real = new NativeRequest(this.url, init);
    return this.#real;
  }

  /** The real Request this one stands for (undici's constructors accept only real ones). */
  static toNative(value: AppRequest): Request {
    return value.#materialize();
  }

  static isAppRequest(value: unknown): value is AppRequest {
    return typeof value === "object" && value !== null && #req in value;
  }
}
Object.setPrototypeOf(AppRequest.prototype, NativeRequest.prototype);

/** Gathers a body's chunks (already copies the connection owns no more) and settles once. */
class BodyCollector implements BodySink {
  readonly #resolve: (bytes: Buffer) => void;
  readonly #reject: (error: unknown) => void;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(resolve: (bytes: Buffer) => void, reject: (error: unknown) => void) {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  data(chunk: Buffer): boolean {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    return true;
  }

  end(): void {
    const chunks = this.#chunks;
    this.#resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size));
  }

  error(error: unknown): void {
    this.#reject(error instanceof Error ? error : new TypeError(String((error as { message?: string }).message)));
  }
}

/** The body as a stream: the connection pauses while the stream's queue is full and resumes on pull. */
function bodyStream(req: HttpRequest): ReadableStream<Uint8Array> {
  let paused = false;
  let finished = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (!req.hasBody) {
          finished = true;
          controller.close();
          return;
        }
        req.readBody({
          data(chunk) {
            if (finished) return false;
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
            paused = (controller.desiredSize ?? 0) <= 0;
            return !paused;
          },
          end() {
            if (finished) return;
            finished = true;
            controller.close();
          },
          error(error) {
            if (finished) return;
            finished = true;
            controller.error(error instanceof Error ? error : new TypeError(error.message));
          },
        });
      },
      pull() {
        if (paused && !finished) {
          paused = false;
          req.resumeBody();
        }
      },
      cancel() {
        // Nothing more is wanted: delivery stays paused, and the engine discards or closes after the response.
        finished = true;
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: STREAM_HIGH_WATER_BYTES }),
  );
}

/** Reads a stream to its end (the body getter was used, nothing read from it yet). */
async function readStream(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** UTF-8 decode as the fetch standard does it: a leading byte order mark is dropped. */
function decodeUtf8(bytes: Buffer): string {
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return bytes.toString("utf8", start);
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}
