// The response writer: status line, fields, framing (Content-Length, chunked, or close-delimited for
// HTTP/1.0), Date and Connection added here, no body for HEAD/204/304 (RFC 9110 §6.4.1, §9.3.2).
// Small responses go out in one socket write; PreparedResponse caches whole responses (head and body)
// per Date second so a cached file costs one write of an existing buffer.

import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import { copyAll, decimalDigits, writeDecimal } from "../common/bytes.ts";
import { dateEpoch, dateHeaderLine, loopMonotonic } from "../common/clock.ts";
import { copyInto, type OutputTarget } from "./arena.ts";
import type { FieldEdits } from "./field-edits.ts";
import { LAST_CHUNK } from "./chunked.ts";
import { requestFinishChannel, responseHeadChannel } from "./events.ts";
import type { Request } from "./request.ts";
import { isBodilessStatus, statusLine } from "./status.ts";

/** Response fields as a flat list: name, value, name, value… */
export type HeaderList = readonly string[];

/**
 * Field lines that are already serialised and validated (a proxied upstream head, checked by
 * parse-response.ts): copied into the response head as bytes, never turned into strings.
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

/** What a response needs from its connection. */
export interface ResponseSink extends OutputTarget {
  /** Writes bytes to the socket; false when its buffer is over the high-water mark. */
  write(data: Buffer | string): boolean;
  cork(): void;
  uncork(): void;
  /** The response is complete; `keepAlive` says whether the connection may carry another request. */
  responseDone(response: Response, keepAlive: boolean): void;
  /** True once the server is shutting down: responses then close their connection. */
  readonly closing: boolean;
  /** Runs `listener` once the socket's buffer has drained. */
  onDrain(listener: () => void): void;
  /** True when every byte written so far has reached the kernel (no buffer is still held). */
  readonly flushed: boolean;
  /** Hands the socket to the caller (after a 101); bytes already received but unparsed come along. */
  detach(): { socket: Socket; buffered: Buffer };
  /** Destroys the connection at once. */
  destroy(): void;
}

const SERVER_LINE = "Server: portico\r\n";
const CONN_NONE = 0;
const CONN_KEEP_ALIVE = 1;
const CONN_CLOSE = 2;
const CONNECTION_LINES = ["", "Connection: keep-alive\r\n", "Connection: close\r\n"] as const;
const EMPTY = Buffer.alloc(0);

/**
 * A complete response computed ahead of time (a cached file, a fixed error page). The bytes for each
 * Connection variant are built on first use and rebuilt when the Date second changes.
 */
export class PreparedResponse {
  readonly status: number;
  /** Field lines, each ending in CRLF, without Date, Server and Connection. */
  readonly fieldBlock: string;
  readonly body: Buffer;
  #epoch = -1;
  #variants: Array<Buffer | null> = [null, null, null];
  readonly #headers: HeaderList;
  /** Per FieldEdits object seen (a site's or route's headers): its own variants, same epoch. */
  #edited: Map<FieldEdits, Array<Buffer | null>> | null = null;

  constructor(status: number, headers: HeaderList, body: Buffer) {
    this.status = status;
    this.body = body;
    this.#headers = headers;
    let block = serializeFields(headers);
    if (!isBodilessStatus(status)) block += `Content-Length: ${body.length}\r\n`;
    this.fieldBlock = block;
  }

  /**
   * Full response bytes (head + body) for a Connection variant, valid for the current second; with
   * `edits`, the fields edited as they say (built once per second like the others).
   */
  bytes(variant: number, edits: FieldEdits | null = null): Buffer {
    const epoch = dateEpoch();
    if (epoch !== this.#epoch) {
      this.#epoch = epoch;
      this.#variants = [null, null, null];
      this.#edited = null;
    }
    let variants = this.#variants;
    if (edits !== null) {
      this.#edited ??= new Map();
      let own = this.#edited.get(edits);
      if (own === undefined) {
        own = [null, null, null];
        this.#edited.set(edits, own);
      }
      variants = own;
    }
    let out = variants[variant];
    if (out == null) {
      const fields =
        edits === null
          ? this.fieldBlock
          : serializeFields(edits.filter(this.#headers)) +
            edits.block +
            (isBodilessStatus(this.status) ? "" : `Content-Length: ${this.body.length}\r\n`);
      const server = edits === null || edits.keepServer ? SERVER_LINE : "";
      const head = statusLine(this.status) + server + dateHeaderLine() + fields + CONNECTION_LINES[variant] + "\r\n";
      const headLength = Buffer.byteLength(head, "latin1");
      const body = isBodilessStatus(this.status) ? EMPTY : this.body;
      out = Buffer.allocUnsafe(headLength + body.length);
      out.write(head, 0, "latin1");
      body.copy(out, headLength);
      variants[variant] = out;
    }
    return out;
  }
}

export class Response {
  readonly #sink: ResponseSink;
  readonly #request: Request;
  status = 0;
  headersSent = false;
  finished = false;
  /** Body bytes handed to the socket so far. */
  bodyBytes = 0;
  /** False for engine-made responses (parse errors, timeouts): they did not reach a handler. */
  handled = true;
  /** Field edits of the site or route answering (set before a handler runs); null: none. */
  edits: FieldEdits | null = null;
  #mode = MODE_NONE;
  #remaining = 0;
  #keepAlive = false;
  #closeRequested = false;
  /** A streamed response's head, written with the first body bytes (or end()). */
  #pendingHead: string | Buffer = "";

  constructor(sink: ResponseSink, request: Request) {
    this.#sink = sink;
    this.#request = request;
  }

  get request(): Request {
    return this.#request;
  }

  /** Asks for the connection to be closed after this response. */
  closeAfter(): void {
    this.#closeRequested = true;
  }

  /** Sends a whole response in one write. A string body is UTF-8. */
  send(status: number, headers: HeaderList, body?: Buffer | string): void {
    const payload = body === undefined ? EMPTY : typeof body === "string" ? Buffer.from(body, "utf8") : body;
    const bodiless = isBodilessStatus(status);
    const head = this.#head(status, headers, bodiless ? "" : `Content-Length: ${payload.length}\r\n`);
    const withBody = !bodiless && this.#request.method !== "HEAD" && payload.length > 0;
    this.#publishHead();
    this.bodyBytes = withBody ? payload.length : 0;
    this.#publishFinish(true);
    if (withBody) {
      const headLength = Buffer.byteLength(head, "latin1");
      const out = Buffer.allocUnsafe(headLength + payload.length);
      out.write(head, 0, "latin1");
      payload.copy(out, headLength);
      this.#sink.write(out);
    } else {
      this.#sink.write(Buffer.from(head, "latin1"));
    }
    this.#done();
  }

  /**
   * Sends a whole response whose fields are copied as bytes (see CopiedFields), head and body
   * (body[bodyStart, bodyEnd), copied before this returns) in one buffer and one write. Framing,
   * Date, Server and Connection are added as by send().
   */
  sendCopied(status: number, fields: CopiedFields, body: Buffer, bodyStart = 0, bodyEnd = body.length): void {
    const bodiless = isBodilessStatus(status);
    const length = bodyEnd - bodyStart;
    const withBody = !bodiless && this.#request.method !== "HEAD" && length > 0;
    const head = this.#copiedHead(status, fields, "", bodiless ? -1 : length, withBody ? length : 0, true);
    if (withBody) copyInto(body, bodyStart, bodyEnd, head, head.length - length);
    this.#publishHead();
    this.bodyBytes = withBody ? length : 0;
    this.#publishFinish(true);
    this.#sink.write(head);
    this.#done();
  }

  /** Sends a prepared response: on the common path one write of bytes that already exist. */
  sendPrepared(prepared: PreparedResponse): void {
    this.status = prepared.status;
    this.headersSent = true;
    const variant = this.#connectionVariant(true);
    const bytes = prepared.bytes(variant, this.edits);
    this.#publishHead();
    if (this.#request.method === "HEAD" || isBodilessStatus(prepared.status)) {
      this.#publishFinish(true);
      this.#sink.write(
        bytes.subarray(0, bytes.length - (isBodilessStatus(prepared.status) ? 0 : prepared.body.length)),
      );
    } else {
      this.bodyBytes = prepared.body.length;
      this.#publishFinish(true);
      this.#sink.write(bytes);
    }
    this.#done();
  }

  /**
   * Starts a streamed response. `contentLength` undefined means unknown: chunked for HTTP/1.1,
   * close-delimited for HTTP/1.0. The head goes out with the first body write (or end()).
   */
  writeHead(status: number, headers: HeaderList, contentLength?: number): void {
    const framing = this.#framing(status, contentLength);
    this.#pendingHead = this.#head(status, headers, framing);
    this.#publishHead();
  }

  /** Chooses the body framing of a streamed response (sets the mode) and returns its field line. */
  #framing(status: number, contentLength: number | undefined): string {
    const bodiless = isBodilessStatus(status);
    const noBody = bodiless || this.#request.method === "HEAD";
    if (bodiless) {
      this.#mode = MODE_NONE;
      return "";
    }
    if (contentLength !== undefined) {
      this.#mode = noBody ? MODE_NONE : MODE_LENGTH;
      this.#remaining = contentLength;
      return `Content-Length: ${contentLength}\r\n`;
    }
    if (this.#request.versionMinor === 1) {
      this.#mode = noBody ? MODE_NONE : MODE_CHUNKED;
      return "Transfer-Encoding: chunked\r\n";
    }
    // HTTP/1.0 without a length: the body ends when the connection closes (RFC 9112 §6.3).
    if (!noBody) this.#closeRequested = true;
    this.#mode = noBody ? MODE_NONE : MODE_CLOSE_DELIMITED;
    return "";
  }

  /** writeHead() with fields copied as bytes (see CopiedFields). */
  writeHeadCopied(status: number, fields: CopiedFields, contentLength?: number): void {
    const framing = this.#framing(status, contentLength);
    this.#pendingHead = this.#copiedHead(status, fields, framing, -1, 0, false);
    this.#publishHead();
  }

  /**
   * Takes back a head that has not reached the socket yet (writeHead, and no body byte since), so
   * another response can be sent instead: a proxy whose upstream failed before the first body byte
   * can still answer 502. False once any byte of this response was written.
   */
  retractHead(): boolean {
    if (!this.headersSent || this.finished || this.#pendingHead.length === 0 || this.bodyBytes !== 0) return false;
    this.#pendingHead = "";
    this.headersSent = false;
    this.status = 0;
    this.#mode = MODE_NONE;
    this.#remaining = 0;
    return true;
  }

  /** Writes body bytes; false means the socket is backed up: wait for onDrain before writing more. */
  write(chunk: Buffer): boolean {
    if (this.finished) throw new Error("write after end");
    if (!this.headersSent) throw new Error("write before writeHead");
    if (chunk.length === 0) return this.#flushHead();
    switch (this.#mode) {
      case MODE_NONE:
        return this.#flushHead();
      case MODE_LENGTH:
        if (chunk.length > this.#remaining) throw new Error("response body longer than its Content-Length");
        this.#remaining -= chunk.length;
        return this.#writeBody(chunk);
      case MODE_CHUNKED: {
        this.#sink.cork();
        this.#flushHead();
        this.#sink.write(`${chunk.length.toString(16)}\r\n`);
        this.#sink.write(chunk);
        this.bodyBytes += chunk.length;
        const ok = this.#sink.write("\r\n");
        this.#sink.uncork();
        return ok;
      }
      default:
        return this.#writeBody(chunk);
    }
  }

  /**
   * Ends the body, with `chunk` as its last bytes. `trailers` (complete field lines, already valid)
   * follow a chunked body (RFC 9112 §7.1.2); other framings have no place for them, so they are dropped.
   */
  end(chunk?: Buffer, trailers?: readonly string[]): void {
    if (this.finished) return;
    if (!this.headersSent) this.writeHead(200, [], chunk?.length ?? 0);
    const last = chunk !== undefined && chunk.length > 0 && this.#mode !== MODE_NONE ? chunk : undefined;
    const lastLength = last?.length ?? 0;
    if (this.#mode === MODE_LENGTH && lastLength > this.#remaining)
      throw new Error("response body longer than its Content-Length");
    const shortBody = this.#mode === MODE_LENGTH && this.#remaining !== lastLength;
    // The finish event (and so the access log line) precedes the last byte on the socket.
    this.#publishFinish(!shortBody, this.bodyBytes + lastLength);
    this.#sink.cork();
    if (last !== undefined) this.write(last);
    else this.#flushHead();
    if (this.#mode === MODE_CHUNKED) {
      if (trailers === undefined || trailers.length === 0) this.#sink.write(LAST_CHUNK);
      else this.#sink.write(Buffer.from(`0\r\n${trailers.join("\r\n")}\r\n\r\n`, "latin1"));
    }
    this.#sink.uncork();
    if (shortBody) {
      // Fewer bytes than announced: the client cannot frame what follows, so the connection ends.
      this.#closeRequested = true;
    }
    this.#done();
  }

  /** Runs `listener` when the socket can take more data. */
  onDrain(listener: () => void): void {
    this.#sink.onDrain(listener);
  }

  /** True when every body buffer written so far has been handed to the kernel and may be reused. */
  get flushed(): boolean {
    return this.#sink.flushed;
  }

  /**
   * Takes the socket for a protocol switch (RFC 9110 §7.8) or a tunnel: the connection stops
   * handling it. The caller writes the 101 (or other) head itself.
   */
  detach(status = 101): { socket: Socket; buffered: Buffer } {
    this.status = status;
    this.headersSent = true;
    this.#publishHead();
    this.#publishFinish(true);
    this.finished = true;
    return this.#sink.detach();
  }

  /** Abandons the response and the connection (used when a streamed response cannot be completed). */
  abort(): void {
    if (this.finished) return;
    this.#publishFinish(false);
    this.finished = true;
    this.#sink.destroy();
  }

  #head(status: number, headers: HeaderList, framing: string): string {
    if (this.headersSent) throw new Error("response head already sent");
    this.status = status;
    this.headersSent = true;
    const variant = this.#connectionVariant(
      this.#request.method === "HEAD" || isBodilessStatus(status) || framing !== "",
    );
    const edits = this.edits;
    return (
      statusLine(status) +
      (edits === null || edits.keepServer ? SERVER_LINE : "") +
      dateHeaderLine() +
      (edits === null ? serializeFields(headers) : serializeFields(edits.filter(headers)) + edits.block) +
      framing +
      CONNECTION_LINES[variant] +
      "\r\n"
    );
  }

  /**
   * The head as bytes with copied field lines, in a buffer with `room` bytes left free at its end.
   * Framing is `framing` (a field line or "") or, when `length` >= 0, a Content-Length written here.
   * `now`: the buffer is written before anything else is assembled, so it may be the sink's output
   * buffer (arena.ts); a head that waits for its body gets a buffer of its own.
   */
  #copiedHead(
    status: number,
    fields: CopiedFields,
    framing: string,
    length: number,
    room: number,
    now: boolean,
  ): Buffer {
    if (this.headersSent) throw new Error("response head already sent");
    this.status = status;
    this.headersSent = true;
    const variant = this.#connectionVariant(
      this.#request.method === "HEAD" || isBodilessStatus(status) || framing !== "" || length >= 0,
    );
    const digits = length >= 0 ? decimalDigits(length) : 0;
    const edits = this.edits;
    if (edits !== null) fields = edits.filterCopied(fields);
    const reason = fields.reason ?? "";
    const before =
      reason === "" && (edits === null || edits.keepServer)
        ? headStart(status)
        : Buffer.from(
            `${reason === "" ? statusLine(status) : `HTTP/1.1 ${status} ${reason}\r\n`}${edits === null || edits.keepServer ? SERVER_LINE : ""}${dateHeaderLine()}`,
            "latin1",
          );
    const extra = fields.extra;
    const end = HEAD_ENDS[variant]!;
    const raw = fields.raw;
    const lines = fields.lines;
    const count = fields.count;
    // Every part is latin1 (one byte per character), so string lengths are byte lengths.
    let size = before.length + extra.length + framing.length + end.length + room;
    if (length >= 0) size += CONTENT_LENGTH_NAME.length + digits + 2;
    for (let k = 0; k < count; k += 2) size += lines[k + 1]! - lines[k]! + 2;
    const out = now ? this.#sink.outputBuffer(size) : Buffer.allocUnsafe(size);
    copyAll(before, out, 0);
    let at = before.length;
    for (let k = 0; k < count; k += 2) {
      at += copyInto(raw, lines[k]!, lines[k + 1]!, out, at);
      out[at++] = 0x0d;
      out[at++] = 0x0a;
    }
    copyAll(extra, out, at);
    at += extra.length;
    if (framing.length !== 0) at += out.write(framing, at, "latin1");
    if (length >= 0) {
      copyAll(CONTENT_LENGTH_NAME, out, at);
      at += CONTENT_LENGTH_NAME.length;
      writeDecimal(out, at, digits, length);
      at += digits;
      out[at++] = 0x0d;
      out[at++] = 0x0a;
    }
    copyAll(end, out, at);
    return out;
  }

  /** Decides persistence (RFC 9112 §9.3) and returns which Connection line the head carries. */
  #connectionVariant(framed: boolean): number {
    const request = this.#request;
    const keep = request.keepAlive && framed && !this.#closeRequested && !this.#sink.closing;
    this.#keepAlive = keep;
    if (keep) return request.versionMinor === 1 ? CONN_NONE : CONN_KEEP_ALIVE;
    return CONN_CLOSE;
  }

  #flushHead(): boolean {
    if (this.#pendingHead.length === 0) return true;
    const head = this.#pendingHead;
    this.#pendingHead = "";
    return this.#sink.write(head);
  }

  #writeBody(chunk: Buffer): boolean {
    if (this.#pendingHead.length !== 0) {
      this.#sink.cork();
      this.#flushHead();
      this.bodyBytes += chunk.length;
      const ok = this.#sink.write(chunk);
      this.#sink.uncork();
      return ok;
    }
    this.bodyBytes += chunk.length;
    return this.#sink.write(chunk);
  }

  #publishHead(): void {
    if (responseHeadChannel.hasSubscribers) {
      responseHeadChannel.publish({ request: this.#request, status: this.status, handled: this.handled });
    }
  }

  #publishFinish(complete: boolean, bodyBytes = this.bodyBytes): void {
    if (requestFinishChannel.hasSubscribers) {
      requestFinishChannel.publish({
        request: this.#request,
        status: this.status,
        handled: this.handled,
        bodyBytes,
        durationMs: loopMonotonic() - this.#request.startTime,
        complete,
      });
    }
  }

  #done(): void {
    this.finished = true;
    this.#sink.responseDone(this, this.#keepAlive && !this.#closeRequested);
  }
}

const CONTENT_LENGTH_NAME = Buffer.from("Content-Length: ", "latin1");

/** The Connection line (if any) and the empty line ending a head, per Connection variant. */
const HEAD_ENDS = CONNECTION_LINES.map((line) => Buffer.from(`${line}\r\n`, "latin1"));
let startStatus = -1;
let startEpoch = -1;
let startBytes: Buffer = EMPTY;

/** Status line, Server and Date as bytes, kept while the status and the Date second repeat. */
function headStart(status: number): Buffer {
  const epoch = dateEpoch();
  if (status !== startStatus || epoch !== startEpoch) {
    startStatus = status;
    startEpoch = epoch;
    startBytes = Buffer.from(statusLine(status) + SERVER_LINE + dateHeaderLine(), "latin1");
  }
  return startBytes;
}

const MODE_NONE = 0;
const MODE_LENGTH = 1;
const MODE_CHUNKED = 2;
const MODE_CLOSE_DELIMITED = 3;

/** Serializes field pairs, refusing names or values that could split the head (response splitting). */
export function serializeFields(headers: HeaderList): string {
  let out = "";
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (!SAFE_NAME.test(name)) throw new Error(`invalid response field name: ${JSON.stringify(name)}`);
    if (UNSAFE_VALUE.test(value)) throw new Error(`invalid value for response field ${name}`);
    out += `${name}: ${value}\r\n`;
  }
  return out;
}

const SAFE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const UNSAFE_VALUE = /[\0\r\n]/;
