// The protocol-neutral response a handler answers with. One place decides the head (status, fields,
// body length, whether a body goes out at all: none for HEAD and 1xx/204/304, RFC 9110 §6.4.1, §9.3.2)
// and one commit step publishes the finish event (so its log line precedes the last byte) and hands
// the rest to the protocol. Each protocol serializes through a ResponseWire: HTTP/1.1's is
// h1-writer.ts, HTTP/2's is the stream (h2/). The fields every response carries (Server, Date) are
// response-defaults.ts's; a site's or route's field edits (field-edits.ts) ride on the decided head and
// each serializer applies them in its own encoding. PreparedResponse is a whole response computed
// ahead of time (a cached file), whose encodings each protocol keeps per Date second and per edits.

import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import { TCHAR } from "../common/bytes.ts";
import { dateEpoch, monotonicNow } from "../common/clock.ts";
import { requestFinishChannel, responseHeadChannel } from "./events.ts";
import type { FieldEdits } from "./field-edits.ts";
import type { Request } from "./request.ts";
import { isBodilessStatus } from "./status.ts";

/** Response fields as a flat list: name, value, name, value… */
export type HeaderList = readonly string[];

/**
 * Field lines that are already serialised and validated (a proxied upstream head, checked by
 * parse-response.ts): copied into an HTTP/1.1 head as bytes, never turned into strings.
 */
export interface CopiedFields {
  readonly raw: Buffer;
  /**
   * Start and end offsets into `raw` of the bytes to copy, each run followed by a CRLF: one field
   * line without its CRLF, or several adjacent lines (their inner CRLFs included).
   */
  readonly lines: readonly number[];
  /** How many numbers of `lines` are in use: an array reused from message to message may hold more. */
  readonly count: number;
  /** Further complete field lines, each ending in CRLF. */
  readonly extra: Buffer;
  /**
   * The reason phrase for a status the engine has none for (a code an upstream uses that is not
   * registered), validated like the fields; "" or absent to use the engine's own.
   */
  readonly reason?: string;
}

/** OutgoingHead.length of a streamed body whose size is not known in advance. */
export const LENGTH_UNKNOWN = -1;
/** OutgoingHead.length of a status that never has content (1xx, 204, 304): no framing at all. */
export const LENGTH_NONE = -2;

/**
 * The head as decided, for a protocol to serialize: filled by Response (one object per thread, reused)
 * and read by the wire within the call it is passed to.
 */
export interface OutgoingHead {
  status: number;
  /** The fields as strings (empty when `copied` is used). */
  fields: HeaderList;
  /** The fields as byte ranges of a received head, or null. */
  copied: CopiedFields | null;
  /** Content length (sent also for HEAD, as GET would), LENGTH_UNKNOWN or LENGTH_NONE. */
  length: number;
  /** Whether body bytes follow the head on the wire (false for HEAD and bodiless statuses). */
  withBody: boolean;
  /**
   * The site's or route's field edits, or null: the serializer drops the fields they remove or set
   * (from `fields`, `copied` and the defaults) and adds theirs.
   */
  edits: FieldEdits | null;
}

/** What the response decided: how many body bytes a whole response carries and whether they are sent. */
const HEAD: OutgoingHead = { status: 0, fields: [], copied: null, length: 0, withBody: false, edits: null };
const EMPTY_LIST: HeaderList = [];
const EMPTY = Buffer.alloc(0);

/**
 * How one protocol puts a response on the wire. Response calls these in order — a whole response
 * (sendWhole, sendPrepared) or a streamed one (startHead, writeBody…, endBody) — after it has
 * published its events; the terminal calls (sendWhole, sendPrepared, endBody, abort, detach) also
 * finish the response on the protocol's side (keep-alive, next request; stream closed).
 */
export interface ResponseWire {
  /** Head and body[start, end) (already cut to what is sent), copied or written before returning. */
  sendWhole(res: Response, head: OutgoingHead, body: Buffer, start: number, end: number): void;
  /** Head and a text body (UTF-8, `byteLength` bytes of it sent: 0 when the head says no body). */
  sendText(res: Response, head: OutgoingHead, body: string, byteLength: number): void;
  /** A prepared response, its body only when `withBody`, its fields edited by `res.edits`. */
  sendPrepared(res: Response, prepared: PreparedResponse, withBody: boolean): void;
  /** A streamed response's head: held until the first body bytes or the end. */
  startHead(res: Response, head: OutgoingHead): void;
  /** True while a started head has not been written. */
  readonly headPending: boolean;
  /** Drops a pending head (another response follows). */
  retractHead(): void;
  /** Writes the pending head, if any; false when the transport is backed up. */
  flushHead(): boolean;
  /** Body bytes of a response with body; false when the transport is backed up. */
  writeBody(chunk: Buffer): boolean;
  /**
   * The end of a streamed response: `last` bytes, then trailers (complete field lines) where the
   * framing has room for them. `complete` false: fewer bytes than the announced length went out.
   */
  endBody(res: Response, last: Buffer | undefined, trailers: readonly string[] | undefined, complete: boolean): void;
  /** The response cannot be completed: the peer must see it cut (connection or stream reset). */
  abort(res: Response): void;
  /** Hands the connection over after a 101 (HTTP/1.1 only). */
  detach(): { socket: Socket; buffered: Buffer };
  /** Runs `listener` once the transport can take more. */
  onDrain(listener: () => void): void;
  /** True when every body buffer written so far has been handed to the kernel and may be reused. */
  readonly flushed: boolean;
  /** Body bytes the protocol would send now without holding them (Infinity: no limit it knows of). */
  readonly writableSize: number;
}

/**
 * A complete response computed ahead of time (a cached file, a fixed error page). Each protocol's
 * serializer keeps its encoding of it (slots: response-defaults.ts) for the current Date second:
 * one set of slots for the fields as they are, one per FieldEdits object it was sent with (a site's
 * headers), so an edited response is still one write of bytes that already exist.
 */
export class PreparedResponse {
  readonly status: number;
  /** The fields, without the defaults, Date and framing. */
  readonly fields: HeaderList;
  readonly body: Buffer;
  #epoch = -1;
  #encoded: Array<Buffer | undefined> = [];
  /** Slots per edits object, this second; the last one used is kept apart (one route: no Map lookup). */
  #edited: Map<FieldEdits, Array<Buffer | undefined>> | null = null;
  #lastEdits: FieldEdits | null = null;
  #lastEdited: Array<Buffer | undefined> = [];

  constructor(status: number, headers: HeaderList, body: Buffer) {
    for (let i = 0; i + 1 < headers.length; i += 2) checkField(headers[i]!, headers[i + 1]!);
    this.status = status;
    this.fields = headers;
    this.body = isBodilessStatus(status) ? EMPTY : body;
  }

  /**
   * A serializer's bytes for `slot` (with the fields edited by `edits`), made during the current Date
   * second; undefined when there are none.
   */
  encoded(slot: number, edits: FieldEdits | null = null): Buffer | undefined {
    const epoch = dateEpoch();
    if (epoch !== this.#epoch) {
      this.#epoch = epoch;
      this.#encoded = [];
      this.#edited = null;
      this.#lastEdits = null;
      this.#lastEdited = [];
      return undefined;
    }
    return this.#slots(edits)[slot];
  }

  keepEncoded(slot: number, bytes: Buffer, edits: FieldEdits | null = null): void {
    this.#slots(edits)[slot] = bytes;
  }

  #slots(edits: FieldEdits | null): Array<Buffer | undefined> {
    if (edits === null) return this.#encoded;
    if (edits === this.#lastEdits) return this.#lastEdited;
    this.#edited ??= new Map();
    let slots = this.#edited.get(edits);
    if (slots === undefined) {
      slots = [];
      this.#edited.set(edits, slots);
    }
    this.#lastEdits = edits;
    this.#lastEdited = slots;
    return slots;
  }
}

export class Response {
  readonly #wire: ResponseWire;
  readonly #request: Request;
  status = 0;
  headersSent = false;
  finished = false;
  /** Body bytes handed to the transport so far. */
  bodyBytes = 0;
  /** False for engine-made responses (parse errors, timeouts): they did not reach a handler. */
  handled = true;
  /**
   * The field edits of the site or route answering (route/ sets them before its handler runs, CORS
   * may swap them); null: none. Applied to whatever head this response sends.
   */
  edits: FieldEdits | null = null;
  #closeRequested = false;
  /** Whether body bytes of the streamed response go out (not for HEAD or a bodiless status). */
  #withBody = false;
  /** Bytes still due under a known length, or -1 when the length is unknown. */
  #remaining = -1;

  constructor(wire: ResponseWire, request: Request) {
    this.#wire = wire;
    this.#request = request;
  }

  get request(): Request {
    return this.#request;
  }

  /** Asks for the connection to be closed after this response (HTTP/1.1; HTTP/2 streams ignore it). */
  closeAfter(): void {
    this.#closeRequested = true;
  }

  get closeRequested(): boolean {
    return this.#closeRequested;
  }

  /**
   * Sends a whole response in one write. A string body is UTF-8, encoded by the protocol straight into
   * the bytes it writes (no intermediate buffer: an app's or error page's text is copied once).
   */
  send(status: number, headers: HeaderList, body?: Buffer | string): void {
    if (typeof body === "string") {
      const length = Buffer.byteLength(body, "utf8");
      const head = this.#decide(status, headers, null, length);
      this.#publishHead();
      const sent = head.withBody ? length : 0;
      this.bodyBytes = sent;
      this.#commit(true, sent).sendText(this, head, body, sent);
      return;
    }
    const payload = body ?? EMPTY;
    const head = this.#decide(status, headers, null, payload.length);
    this.#wholeBody(head, payload, 0, payload.length);
  }

  /**
   * Sends a whole response whose fields are copied as bytes (see CopiedFields), head and body
   * (body[bodyStart, bodyEnd), copied before this returns) in one write where the protocol allows.
   */
  sendCopied(status: number, fields: CopiedFields, body: Buffer, bodyStart = 0, bodyEnd = body.length): void {
    const head = this.#decide(status, EMPTY_LIST, fields, bodyEnd - bodyStart);
    this.#wholeBody(head, body, bodyStart, bodyEnd);
  }

  /** Sends a prepared response: on the common path one write of bytes that already exist. */
  sendPrepared(prepared: PreparedResponse): void {
    if (this.headersSent) throw new Error("response head already sent");
    const status = prepared.status;
    this.status = status;
    this.headersSent = true;
    const withBody = this.#request.method !== "HEAD" && !isBodilessStatus(status);
    this.#publishHead();
    this.bodyBytes = withBody ? prepared.body.length : 0;
    this.#commit(true, this.bodyBytes).sendPrepared(this, prepared, withBody);
  }

  /**
   * Starts a streamed response. `contentLength` undefined means unknown: the protocol frames it
   * (chunked or close-delimited in HTTP/1.x, DATA frames in HTTP/2). The head goes out with the first
   * body write (or end()).
   */
  writeHead(status: number, headers: HeaderList, contentLength?: number): void {
    this.#startStream(this.#decide(status, headers, null, contentLength ?? LENGTH_UNKNOWN));
  }

  /** writeHead() with fields copied as bytes (see CopiedFields). */
  writeHeadCopied(status: number, fields: CopiedFields, contentLength?: number): void {
    this.#startStream(this.#decide(status, EMPTY_LIST, fields, contentLength ?? LENGTH_UNKNOWN));
  }

  /**
   * Takes back a head that has not reached the transport yet (writeHead, and no body byte since), so
   * another response can be sent instead: a proxy whose upstream failed before the first body byte
   * can still answer 502. False once any byte of this response was written.
   */
  retractHead(): boolean {
    if (!this.headersSent || this.finished || !this.#wire.headPending || this.bodyBytes !== 0) return false;
    this.#wire.retractHead();
    this.headersSent = false;
    this.status = 0;
    this.#withBody = false;
    this.#remaining = -1;
    return true;
  }

  /** Writes body bytes; false means the transport is backed up: wait for onDrain before writing more. */
  write(chunk: Buffer): boolean {
    if (this.finished) throw new Error("write after end");
    if (!this.headersSent) throw new Error("write before writeHead");
    if (chunk.length === 0 || !this.#withBody) return this.#wire.flushHead();
    if (this.#remaining >= 0) {
      if (chunk.length > this.#remaining) throw new Error("response body longer than its Content-Length");
      this.#remaining -= chunk.length;
    }
    this.bodyBytes += chunk.length;
    return this.#wire.writeBody(chunk);
  }

  /**
   * Ends the body, with `chunk` as its last bytes. `trailers` (complete field lines, already valid)
   * follow where the framing has room for them (HTTP/1.1 chunked, RFC 9112 §7.1.2; HTTP/2); elsewhere
   * they are dropped.
   */
  end(chunk?: Buffer, trailers?: readonly string[]): void {
    if (this.finished) return;
    if (!this.headersSent) this.writeHead(200, EMPTY_LIST, chunk?.length ?? 0);
    const last = chunk !== undefined && chunk.length > 0 && this.#withBody ? chunk : undefined;
    const lastLength = last?.length ?? 0;
    if (this.#remaining >= 0 && lastLength > this.#remaining)
      throw new Error("response body longer than its Content-Length");
    const complete = this.#remaining < 0 || this.#remaining === lastLength || !this.#withBody;
    // Fewer bytes than announced: the peer cannot frame what follows, so the connection (HTTP/1.1) or
    // the stream (HTTP/2) is cut after them.
    if (!complete) this.#closeRequested = true;
    this.bodyBytes += lastLength;
    this.#commit(complete, this.bodyBytes).endBody(this, last, trailers, complete);
  }

  /** Runs `listener` when the transport can take more data. */
  onDrain(listener: () => void): void {
    this.#wire.onDrain(listener);
  }

  /** True when every body buffer written so far has been handed to the kernel and may be reused. */
  get flushed(): boolean {
    return this.#wire.flushed;
  }

  /**
   * A size for the next body write: what the protocol can send at once (HTTP/2: the peer's windows),
   * Infinity when it sets no bound. A writer that reads its body in chunks (a file) sizes them by it,
   * so a peer that keeps its window shut makes the server hold little.
   */
  get writableSize(): number {
    return this.#wire.writableSize;
  }

  /**
   * Takes the socket for a protocol switch (RFC 9110 §7.8) or a tunnel: the connection stops
   * handling it. The caller writes the 101 (or other) head itself. HTTP/1.1 only.
   */
  detach(status = 101): { socket: Socket; buffered: Buffer } {
    this.status = status;
    this.headersSent = true;
    this.#publishHead();
    return this.#commit(true, 0).detach();
  }

  /** Abandons the response: the peer sees it cut (used when a streamed response cannot be completed). */
  abort(): void {
    if (this.finished) return;
    this.#commit(false, this.bodyBytes).abort(this);
  }

  /** The one place a head is decided: status, fields, length, and whether body bytes follow. */
  #decide(status: number, fields: HeaderList, copied: CopiedFields | null, length: number): OutgoingHead {
    if (this.headersSent) throw new Error("response head already sent");
    this.status = status;
    this.headersSent = true;
    const bodiless = isBodilessStatus(status);
    const head = HEAD;
    head.status = status;
    head.fields = fields;
    head.copied = copied;
    head.length = bodiless ? LENGTH_NONE : length;
    head.withBody = !bodiless && this.#request.method !== "HEAD";
    head.edits = this.edits;
    return head;
  }

  /** A whole response: body[start, end) goes out unless the head says no body. */
  #wholeBody(head: OutgoingHead, body: Buffer, start: number, end: number): void {
    this.#publishHead();
    const sent = head.withBody ? end - start : 0;
    this.bodyBytes = sent;
    this.#commit(true, sent).sendWhole(this, head, body, start, start + sent);
  }

  #startStream(head: OutgoingHead): void {
    this.#withBody = head.withBody;
    this.#remaining = head.length >= 0 ? head.length : -1;
    this.#wire.startHead(this, head);
    this.#publishHead();
  }

  /**
   * The commit step: the finish event goes out (the access log's line precedes the response's last
   * byte, kill -9 included), the response is finished, and the protocol writes the rest.
   */
  #commit(complete: boolean, bodyBytes: number): ResponseWire {
    if (requestFinishChannel.hasSubscribers) {
      requestFinishChannel.publish({
        request: this.#request,
        status: this.status,
        handled: this.handled,
        bodyBytes,
        durationMs: monotonicNow() - this.#request.startTime,
        complete,
      });
    }
    this.finished = true;
    return this.#wire;
  }

  #publishHead(): void {
    if (responseHeadChannel.hasSubscribers) {
      responseHeadChannel.publish({ request: this.#request, status: this.status, handled: this.handled });
    }
  }
}

/**
 * Refuses a field name that is not a token or a value that could split a message (NUL, CR or LF:
 * response splitting). Returns whether the value is ASCII, where its UTF-8 and latin1 bytes agree
 * (h1-writer.ts then writes a head as a string). Character loops: two regular expressions per field
 * cost more on the per-response path.
 */
export function checkField(name: string, value: string): boolean {
  const n = name.length;
  let token = n > 0;
  for (let i = 0; token && i < n; i++) {
    const c = name.charCodeAt(i);
    token = c < 0x80 && TCHAR[c] === 1;
  }
  if (!token) throw new Error(`invalid response field name: ${JSON.stringify(name)}`);
  let bits = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) throw new Error(`invalid value for response field ${name}`);
    bits |= c;
  }
  return bits < 0x80;
}
