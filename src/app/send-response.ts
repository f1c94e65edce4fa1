// The bridge from an app's Response to the engine's: status and fields into a field list (framing, Date,
// Server and Connection stay the engine's), then the body — a string or bytes in one write with the head,
// a Blob read whole or streamed, a ReadableStream streamed with backpressure (chunked when its length is
// unknown). A conditional GET that matches the app's validators gets 304 here (RFC 9110 §13.2.2).
// Not here: calling the app or answering its failures (handler.ts).

import { Buffer } from "node:buffer";
import { evaluateConditions, NOT_MODIFIED } from "../http/filters/conditional.ts";
import { F_IF_MODIFIED_SINCE, F_IF_NONE_MATCH } from "../http/headers.ts";
import type { Request as HttpRequest } from "../http/request.ts";
import type { Response as HttpResponse } from "../http/response.ts";
import { isBodilessStatus } from "../http/status.ts";
import { TCHAR } from "../common/bytes.ts";
import { parseHttpDate } from "../common/clock.ts";
import { AppError } from "./errors.ts";
import { AppResponse, defaultContentType, type HeadersInit, type ResponseParts } from "./fetch-response.ts";

/** A Blob up to this size is read whole and sent in one write with its head; larger ones stream. */
const SMALL_BLOB_BYTES = 64 * 1024;

/** Per-thread scratch: what readParts found, read right after it (no object per response). */
const parts: ResponseParts = { status: 0, body: null, init: undefined, headers: null };
/** Per-thread scratch of collectFields: the app's Content-Length (-1: none) and whether it set a type. */
let declaredLength = -1;
let hasContentType = false;

/**
 * Sends `value` (what fetch returned) as the response to `req`. Returns null when it was sent at once,
 * else a promise that settles once the body is sent; throws (or rejects) when `value` cannot be sent,
 * and the caller answers that.
 */
export function sendResponse(value: unknown, req: HttpRequest, res: HttpResponse): Promise<void> | null {
  if (AppResponse.isAppResponse(value)) {
    if (AppResponse.parts(value, parts)) return sendParts(value, req, res);
    value = AppResponse.toNative(value);
  }
  if (!(value instanceof Response))
    throw new AppError("APP_BAD_RESPONSE", `fetch returned ${describe(value)} instead of a Response`);
  return sendNative(value, req, res);
}

/** A lightweight response: its body as given to the constructor. */
function sendParts(response: AppResponse, req: HttpRequest, res: HttpResponse): Promise<void> | null {
  const status = parts.status;
  const body = parts.body;
  const fields: string[] = [];
  if (parts.headers !== null) collectFields(parts.headers, fields);
  else {
    collectFields(parts.init, fields);
    if (!hasContentType && body !== null) {
      const type = defaultContentType(body);
      if (type !== "") fields.push("content-type", type);
    }
  }
  parts.body = null;
  parts.init = undefined;
  parts.headers = null;
  if (isConditional(req, status) && notModified(req, fields)) {
    if (body instanceof ReadableStream) void body.cancel().catch(ignore);
    res.send(304, notModifiedFields(fields));
    return null;
  }
  if (typeof body === "string") {
    res.send(status, fields, body);
    return null;
  }
  if (body === null) {
    sendEmpty(status, fields, req, res);
    return null;
  }
  if (body instanceof Uint8Array) {
    res.send(status, fields, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    return null;
  }
  if (body instanceof ArrayBuffer) {
    res.send(status, fields, Buffer.from(body));
    return null;
  }
  if (ArrayBuffer.isView(body)) {
    res.send(status, fields, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    return null;
  }
  if (body instanceof Blob) return sendBlob(body, status, fields, req, res);
  if (body instanceof ReadableStream) return sendStream(body, status, fields, declaredLength, req, res);
  // FormData, URLSearchParams, async iterables…: undici knows how to encode them.
  return sendNative(AppResponse.toNative(response), req, res);
}

/** A real undici Response (from fetch(), Response.error(), or a lightweight one that had to become real). */
function sendNative(response: Response, req: HttpRequest, res: HttpResponse): Promise<void> | null {
  const status = response.status;
  if (status < 200 || status > 599)
    throw new AppError("APP_BAD_RESPONSE", `fetch returned a response of type ${response.type}`);
  const fields: string[] = [];
  collectFields(response.headers, fields);
  const body = response.body;
  if (isConditional(req, status) && notModified(req, fields)) {
    if (body !== null) void body.cancel().catch(ignore);
    res.send(304, notModifiedFields(fields));
    return null;
  }
  if (body === null) {
    sendEmpty(status, fields, req, res);
    return null;
  }
  return sendStream(body, status, fields, declaredLength, req, res);
}

/**
 * A response without a body. For HEAD that is usually an app's GET answer with the body dropped (Hono
 * does so): its length is unknown then, and saying 0 would be false, so the head carries the length the
 * app declared or none (RFC 9110 §9.3.2 lets a HEAD response omit what only the content determines).
 */
function sendEmpty(status: number, fields: string[], req: HttpRequest, res: HttpResponse): void {
  if (req.method !== "HEAD" || isBodilessStatus(status)) {
    res.send(status, fields);
    return;
  }
  res.writeHead(status, fields, declaredLength >= 0 ? declaredLength : undefined);
  res.end();
}

/**
 * Appends the app's fields to `fields` as name, value pairs, leaving out what the engine owns: framing
 * (Content-Length, read into declaredLength; Transfer-Encoding), Connection and Keep-Alive (RFC 9110
 * §7.6.1), Date and Server (the engine writes its own).
 */
function collectFields(init: HeadersInit | undefined, fields: string[]): void {
  declaredLength = -1;
  hasContentType = false;
  if (init === undefined || init === null) return;
  // A Headers has checked its names and values already; a record or pairs are checked here, before
  // any of the response is written, so a bad field costs a 500 rather than the connection.
  if (init instanceof Headers) {
    for (const [name, value] of init) addField(fields, name, value);
  } else if (Array.isArray(init)) {
    for (const pair of init as ReadonlyArray<readonly string[]>) {
      if (pair.length !== 2) throw new TypeError("Headers: a field pair must have exactly two members");
      addField(fields, checkName(String(pair[0])), checkValue(String(pair[1])));
    }
  } else if (typeof (init as unknown as Iterable<unknown>)[Symbol.iterator] === "function") {
    for (const [name, value] of init as unknown as Iterable<readonly [string, string]>)
      addField(fields, checkName(String(name)), checkValue(String(value)));
  } else {
    const record = init as Record<string, string>;
    for (const name in record) addField(fields, checkName(name), checkValue(String(record[name])));
  }
}

/** A field name must be a token (RFC 9110 §5.1). */
function checkName(name: string): string {
  const n = name.length;
  let ok = n > 0;
  for (let i = 0; ok && i < n; i++) {
    const c = name.charCodeAt(i);
    ok = c < 0x80 && TCHAR[c] === 1;
  }
  if (!ok) throw new TypeError(`Headers: invalid header name ${JSON.stringify(name)}`);
  return name;
}

/** A field value must not hold NUL, CR or LF (they would split the head), nor anything past U+00FF. */
function checkValue(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d || c > 0xff)
      throw new TypeError(`Headers: invalid header value ${JSON.stringify(value)}`);
  }
  return value;
}

function addField(fields: string[], name: string, value: string): void {
  switch (name.length) {
    case 4:
      if (isName(name, "date")) return;
      break;
    case 6:
      if (isName(name, "server")) return;
      break;
    case 10:
      if (isName(name, "connection") || isName(name, "keep-alive")) return;
      break;
    case 12:
      if (isName(name, "content-type")) hasContentType = true;
      break;
    case 14:
      if (isName(name, "content-length")) {
        const n = /^\s*\d{1,15}\s*$/.test(value) ? Number(value) : -1;
        if (n < 0) throw new AppError("APP_BAD_RESPONSE", `invalid Content-Length ${JSON.stringify(value)}`);
        declaredLength = n;
        return;
      }
      break;
    case 17:
      if (isName(name, "transfer-encoding")) return;
      break;
  }
  fields.push(name, value);
}

/**
 * Whether `name` is `lower` in any case, without making a string. `lower` holds lower-case letters and
 * "-" only: OR-ing 0x20 maps exactly the two cases of a letter onto it (a CR that would match "-" is
 * refused later, as any control character in a field name is).
 */
function isName(name: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) if ((name.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

// ── 304: the engine answers conditional GET/HEAD against the app's validators ───────────────────

function isConditional(req: HttpRequest, status: number): boolean {
  if (status !== 200 || (req.method !== "GET" && req.method !== "HEAD")) return false;
  return req.has(F_IF_NONE_MATCH) || req.has(F_IF_MODIFIED_SINCE);
}

function notModified(req: HttpRequest, fields: readonly string[]): boolean {
  let etag = "";
  let lastModified = "";
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.length === 4 && isName(name, "etag")) etag = fields[i + 1]!.trim();
    else if (name.length === 13 && isName(name, "last-modified")) lastModified = fields[i + 1]!;
  }
  if (etag === "" && lastModified === "") return false;
  const verdict = evaluateConditions(
    true,
    undefined,
    req.getCombined(F_IF_NONE_MATCH),
    req.get(F_IF_MODIFIED_SINCE),
    undefined,
    etag,
    lastModified === "" ? Number.NaN : parseHttpDate(lastModified),
  );
  return verdict === NOT_MODIFIED;
}

/** A 304 keeps the fields a 200 would have had except those describing the body it does not carry. */
function notModifiedFields(fields: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.length === 12 && isName(name, "content-type")) continue;
    if (name.length === 16 && isName(name, "content-encoding")) continue;
    out.push(name, fields[i + 1]!);
  }
  return out;
}

// ── Bodies that are not in memory yet ──────────────────────────────────────────────────────────

function sendBlob(
  blob: Blob,
  status: number,
  fields: string[],
  req: HttpRequest,
  res: HttpResponse,
): Promise<void> | null {
  if (req.method === "HEAD" || isBodilessStatus(status)) {
    res.writeHead(status, fields, blob.size);
    res.end();
    return null;
  }
  if (blob.size > SMALL_BLOB_BYTES) return sendStream(blob.stream(), status, fields, blob.size, req, res);
  return blob.arrayBuffer().then((bytes) => {
    if (!req.aborted) res.send(status, fields, Buffer.from(bytes));
  });
}

/**
 * Streams a body: the head goes out with the first chunk (so a stream that fails before it still gets a
 * 500), each chunk is written as it comes, and reading waits while the socket is backed up. A length
 * the app declared is sent as Content-Length; without one, HTTP/1.1 gets chunked framing.
 */
function sendStream(
  stream: ReadableStream<unknown>,
  status: number,
  fields: string[],
  length: number,
  req: HttpRequest,
  res: HttpResponse,
): Promise<void> | null {
  if (req.method === "HEAD" || isBodilessStatus(status)) {
    void stream.cancel().catch(ignore);
    res.writeHead(status, fields, length >= 0 ? length : undefined);
    res.end();
    return null;
  }
  res.writeHead(status, fields, length >= 0 ? length : undefined);
  return new StreamPump(stream.getReader(), req, res).run();
}

class StreamPump {
  readonly #reader: ReadableStreamDefaultReader<unknown>;
  readonly #res: HttpResponse;
  #aborted = false;
  #wake: (() => void) | null = null;

  constructor(reader: ReadableStreamDefaultReader<unknown>, req: HttpRequest, res: HttpResponse) {
    this.#reader = reader;
    this.#res = res;
    req.onAbort(this);
  }

  /** The client went away: the app's stream is cancelled (its cancel() runs) and the pump stops. */
  requestAborted(): void {
    this.#aborted = true;
    this.#reader.cancel(new DOMException("The client closed the connection", "AbortError")).catch(ignore);
    this.#wakeUp();
  }

  async run(): Promise<void> {
    const res = this.#res;
    try {
      while (true) {
        const { done, value } = await this.#reader.read();
        if (this.#aborted || res.finished) return;
        if (done) {
          res.end();
          return;
        }
        const chunk = toBuffer(value);
        if (chunk.length === 0) continue;
        if (!res.write(chunk)) await new Promise<void>((resolve) => this.#waitForDrain(resolve));
        if (this.#aborted) return;
      }
    } catch (error) {
      if (this.#aborted) return;
      this.#reader.cancel(error).catch(ignore);
      throw error;
    }
  }

  #waitForDrain(resolve: () => void): void {
    this.#wake = resolve;
    this.#res.onDrain(() => this.#wakeUp());
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return Buffer.from(chunk);
  throw new AppError("APP_BODY_FAILED", `the response body stream gave ${describe(chunk)}, not bytes`);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  if (!name) return "an object";
  return `${/^[aeiou]/i.test(name) ? "an" : "a"} ${name}`;
}

function ignore(): void {}

/** The client went away before the app answered: a streamed body is cancelled so the app can clean up. */
export function discardResponse(value: unknown): void {
  let body: unknown = null;
  if (AppResponse.isAppResponse(value)) {
    if (AppResponse.parts(value, parts)) {
      body = parts.body;
      parts.body = null;
      parts.init = undefined;
      parts.headers = null;
    } else body = AppResponse.toNative(value).body;
  } else if (value instanceof Response) body = value.body;
  if (body instanceof ReadableStream && !body.locked) void body.cancel().catch(ignore);
}
