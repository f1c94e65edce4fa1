// HTTP/1.1's serializer for the protocol-neutral Response (response.ts): status line, the default
// fields and Date, the response's fields (strings, or byte ranges copied from an upstream head),
// framing (Content-Length, chunked, or close-delimited for HTTP/1.0, RFC 9112 §6) and the Connection
// line (persistence, RFC 9112 §9.3); chunked body framing and trailers; a site's field edits applied
// to all of those heads. One writer per connection, reused by each of its responses in turn. Not
// here: what the head says (response.ts decides).

import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import { copyAll, decimalDigits, writeDecimal } from "../common/bytes.ts";
import { dateEpoch, dateHeaderLine } from "../common/clock.ts";
import { copyInto, type OutputTarget } from "./arena.ts";
import { LAST_CHUNK } from "./chunked.ts";
import type { FieldEdits } from "./field-edits.ts";
import {
  checkField,
  type HeaderList,
  LENGTH_NONE,
  LENGTH_UNKNOWN,
  type OutgoingHead,
  type PreparedResponse,
  type Response,
  type ResponseWire,
} from "./response.ts";
import { type ResponseDefaults, SLOT_H1, STANDARD_DEFAULTS } from "./response-defaults.ts";
import { statusLine } from "./status.ts";

/** What the writer needs from its connection. */
export interface H1Sink extends OutputTarget {
  /** Writes bytes to the socket; false when its buffer is over the high-water mark. */
  write(data: Buffer | string): boolean;
  cork(): void;
  uncork(): void;
  /** The response is complete; `keepAlive` says whether the connection may carry another request. */
  responseDone(response: Response, keepAlive: boolean): void;
  /** True when the response being written will end the connection (shutdown, an unreadable body). */
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

const CONN_NONE = 0;
const CONN_KEEP_ALIVE = 1;
const CONN_CLOSE = 2;
const CONNECTION_LINES = ["", "Connection: keep-alive\r\n", "Connection: close\r\n"] as const;
/** The Connection line (if any) and the empty line ending a head, per Connection variant. */
const HEAD_ENDS = CONNECTION_LINES.map((line) => Buffer.from(`${line}\r\n`, "latin1"));
const CONTENT_LENGTH_NAME = Buffer.from("Content-Length: ", "latin1");
const CHUNKED_LINE = "Transfer-Encoding: chunked\r\n";
const OWN_BUFFER: OutputTarget = { outputBuffer: (n) => Buffer.allocUnsafe(n) };
/**
 * A text response up to this many characters may be written as one string: Node encodes a string
 * of up to 16 KiB of UTF-8 (3 bytes a character, by its estimate) on its stack.
 */
const STRING_WRITE_CHARS = 4096;

const MODE_NONE = 0;
const MODE_LENGTH = 1;
const MODE_CHUNKED = 2;
const MODE_CLOSE_DELIMITED = 3;

export class H1Writer implements ResponseWire {
  readonly #sink: H1Sink;
  readonly #defaults: ResponseDefaults;
  #mode = MODE_NONE;
  #keepAlive = false;
  /** The body runs until the connection closes (HTTP/1.0 without a length). */
  #closeDelimited = false;
  /** A streamed response's head, written with the first body bytes (or the end). */
  #pendingHead: string | Buffer = "";
  /** Whether the head #head() made last is ASCII. */
  #headAscii = false;

  constructor(sink: H1Sink, defaults: ResponseDefaults = STANDARD_DEFAULTS) {
    this.#sink = sink;
    this.#defaults = defaults;
  }

  sendWhole(res: Response, head: OutgoingHead, body: Buffer, start: number, end: number): void {
    const n = end - start;
    if (head.copied !== null) {
      const out = this.#copiedHead(res, head, n, this.#sink);
      if (n > 0) copyInto(body, start, end, out, out.length - n);
      this.#sink.write(out);
    } else {
      // The head is latin1, one byte per character: its string length is its byte length.
      const text = this.#head(res, head);
      const headLength = text.length;
      const out = this.#sink.outputBuffer(headLength + n);
      out.write(text, 0, headLength, "latin1");
      if (n > 0) copyInto(body, start, end, out, headLength);
      this.#sink.write(out);
    }
    this.#done(res);
  }

  sendText(res: Response, head: OutgoingHead, body: string, byteLength: number): void {
    const text = this.#head(res, head);
    const headLength = text.length;
    // An ASCII head and body are the same bytes in UTF-8 (a body's UTF-8 length equals its length
    // only when it is ASCII): a short response goes to the transport as one string, which Node encodes
    // on its stack straight into the write (no buffer here; a held write keeps just the string).
    if (
      this.#headAscii &&
      (byteLength === 0 || byteLength === body.length) &&
      headLength + byteLength <= STRING_WRITE_CHARS
    ) {
      this.#sink.write(byteLength === 0 ? text : text + body);
      this.#done(res);
      return;
    }
    const out = this.#sink.outputBuffer(headLength + byteLength);
    out.write(text, 0, headLength, "latin1");
    if (byteLength > 0) out.write(body, headLength, byteLength, "utf8");
    this.#sink.write(out);
    this.#done(res);
  }

  sendPrepared(res: Response, prepared: PreparedResponse, withBody: boolean): void {
    this.#closeDelimited = false;
    const variant = this.#connectionVariant(res, true);
    const slot = this.#defaults.slotBase + SLOT_H1 + variant;
    const edits = res.edits;
    let bytes = prepared.encoded(slot, edits);
    if (bytes === undefined) {
      bytes = this.#prepare(prepared, variant, edits);
      prepared.keepEncoded(slot, bytes, edits);
    }
    this.#sink.write(withBody ? bytes : bytes.subarray(0, bytes.length - prepared.body.length));
    this.#done(res);
  }

  startHead(res: Response, head: OutgoingHead): void {
    // A head that waits for its body cannot sit in the output area: it gets a buffer of its own.
    this.#pendingHead = head.copied !== null ? this.#copiedHead(res, head, 0, OWN_BUFFER) : this.#head(res, head);
  }

  get headPending(): boolean {
    return this.#pendingHead.length !== 0;
  }

  retractHead(): void {
    this.#pendingHead = "";
    this.#mode = MODE_NONE;
    this.#closeDelimited = false;
  }

  flushHead(): boolean {
    if (this.#pendingHead.length === 0) return true;
    const head = this.#pendingHead;
    this.#pendingHead = "";
    return this.#sink.write(head);
  }

  writeBody(chunk: Buffer): boolean {
    const sink = this.#sink;
    if (this.#mode === MODE_CHUNKED) {
      sink.cork();
      this.flushHead();
      sink.write(`${chunk.length.toString(16)}\r\n`);
      sink.write(chunk);
      const ok = sink.write("\r\n");
      sink.uncork();
      return ok;
    }
    if (this.#pendingHead.length !== 0) {
      sink.cork();
      this.flushHead();
      const ok = sink.write(chunk);
      sink.uncork();
      return ok;
    }
    return sink.write(chunk);
  }

  endBody(res: Response, last: Buffer | undefined, trailers: readonly string[] | undefined): void {
    const sink = this.#sink;
    sink.cork();
    if (last !== undefined) this.writeBody(last);
    else this.flushHead();
    if (this.#mode === MODE_CHUNKED) {
      if (trailers === undefined || trailers.length === 0) sink.write(LAST_CHUNK);
      else sink.write(Buffer.from(`0\r\n${trailers.join("\r\n")}\r\n\r\n`, "latin1"));
    }
    sink.uncork();
    this.#done(res);
  }

  abort(): void {
    this.#pendingHead = "";
    this.#sink.destroy();
  }

  detach(): { socket: Socket; buffered: Buffer } {
    return this.#sink.detach();
  }

  onDrain(listener: () => void): void {
    this.#sink.onDrain(listener);
  }

  get flushed(): boolean {
    return this.#sink.flushed;
  }

  /** HTTP/1.1 has no window: the socket's backpressure (write() returning false) is the bound. */
  get writableSize(): number {
    return Number.POSITIVE_INFINITY;
  }

  /** The head as a string: status line, defaults, Date, fields, framing, Connection, empty line. */
  #head(res: Response, head: OutgoingHead): string {
    const framing = this.#framing(res, head, true);
    const variant = this.#connectionVariant(res, this.#framed(res, head));
    const edits = head.edits;
    const text =
      statusLine(head.status) +
      (edits === null ? this.#defaults.h1Lines : edits.defaultLines(this.#defaults)) +
      dateHeaderLine() +
      (edits === null ? serializeFields(head.fields) : serializeFields(edits.filter(head.fields)) + edits.h1Lines) +
      framing +
      CONNECTION_LINES[variant] +
      "\r\n";
    // The status line, Date, framing and Connection lines are ASCII: the rest decides.
    this.#headAscii = fieldsAscii && this.#defaults.ascii && (edits === null || edits.ascii);
    return text;
  }

  /**
   * The head as bytes with copied field lines, in a buffer from `target` with `room` bytes left free
   * at its end: the sink when the buffer is written before anything else is assembled (it may then
   * be the thread's output area, arena.ts), else OWN_BUFFER.
   */
  #copiedHead(res: Response, head: OutgoingHead, room: number, target: OutputTarget): Buffer {
    const edits = head.edits;
    const fields = edits === null ? head.copied! : edits.filterCopied(head.copied!);
    const length = head.length;
    // A known length is written here as digits; the other framings are a line or nothing.
    const framing = this.#framing(res, head, false);
    const variant = this.#connectionVariant(res, this.#framed(res, head));
    const digits = length >= 0 ? decimalDigits(length) : 0;
    const reason = fields.reason ?? "";
    const before =
      reason === "" && edits === null
        ? this.#headStart(head.status)
        : Buffer.from(
            `${reason === "" ? statusLine(head.status) : `HTTP/1.1 ${head.status} ${reason}\r\n`}${edits === null ? this.#defaults.h1Lines : edits.defaultLines(this.#defaults)}${dateHeaderLine()}`,
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
    const out = target.outputBuffer(size);
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

  /**
   * Chooses the body framing (RFC 9112 §6.3) and returns its field line; a known length's line only
   * when `lengthLine` (a copied head writes the digits itself).
   */
  #framing(res: Response, head: OutgoingHead, lengthLine: boolean): string {
    this.#closeDelimited = false;
    const length = head.length;
    if (length === LENGTH_NONE) {
      this.#mode = MODE_NONE;
      return "";
    }
    if (length !== LENGTH_UNKNOWN) {
      this.#mode = head.withBody ? MODE_LENGTH : MODE_NONE;
      return lengthLine ? `Content-Length: ${length}\r\n` : "";
    }
    if (res.request.versionMinor === 1) {
      this.#mode = head.withBody ? MODE_CHUNKED : MODE_NONE;
      return CHUNKED_LINE;
    }
    // HTTP/1.0 without a length: the body ends when the connection closes.
    this.#mode = head.withBody ? MODE_CLOSE_DELIMITED : MODE_NONE;
    this.#closeDelimited = head.withBody;
    return "";
  }

  /** Whether the peer can find the end of this response without the connection closing. */
  #framed(res: Response, head: OutgoingHead): boolean {
    return !head.withBody || head.length !== LENGTH_UNKNOWN || res.request.versionMinor === 1;
  }

  /** Decides persistence (RFC 9112 §9.3) and returns which Connection line the head carries. */
  #connectionVariant(res: Response, framed: boolean): number {
    const request = res.request;
    const keep = request.keepAlive && framed && !res.closeRequested && !this.#sink.closing;
    this.#keepAlive = keep;
    if (keep) return request.versionMinor === 1 ? CONN_NONE : CONN_KEEP_ALIVE;
    return CONN_CLOSE;
  }

  #done(res: Response): void {
    this.#pendingHead = "";
    this.#sink.responseDone(res, this.#keepAlive && !res.closeRequested && !this.#closeDelimited);
  }

  /** A prepared response's bytes (head and body) for a Connection variant and edits, valid for this second. */
  #prepare(prepared: PreparedResponse, variant: number, edits: FieldEdits | null): Buffer {
    const body = prepared.body;
    const framing = prepared.status < 200 || prepared.status === 204 || prepared.status === 304;
    const head =
      statusLine(prepared.status) +
      (edits === null ? this.#defaults.h1Lines : edits.defaultLines(this.#defaults)) +
      dateHeaderLine() +
      (edits === null
        ? serializeFields(prepared.fields)
        : serializeFields(edits.filter(prepared.fields)) + edits.h1Lines) +
      (framing ? "" : `Content-Length: ${body.length}\r\n`) +
      CONNECTION_LINES[variant] +
      "\r\n";
    const out = Buffer.allocUnsafe(head.length + body.length);
    out.write(head, 0, "latin1");
    body.copy(out, head.length);
    return out;
  }

  /** Status line, defaults and Date as bytes, kept (for the thread) while all three repeat. */
  #headStart(status: number): Buffer {
    const epoch = dateEpoch();
    if (status !== startStatus || epoch !== startEpoch || this.#defaults !== startDefaults) {
      startStatus = status;
      startEpoch = epoch;
      startDefaults = this.#defaults;
      startBytes = Buffer.from(statusLine(status) + this.#defaults.h1Lines + dateHeaderLine(), "latin1");
    }
    return startBytes;
  }
}

let startStatus = -1;
let startEpoch = -1;
let startDefaults: ResponseDefaults | null = null;
let startBytes: Buffer = Buffer.alloc(0);

/** Whether the values the last serializeFields() call serialized were all ASCII. */
let fieldsAscii = true;

/** Serializes field pairs as HTTP/1.1 lines, refusing names or values that could split the head. */
export function serializeFields(headers: HeaderList): string {
  let out = "";
  let ascii = true;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (!checkField(name, value)) ascii = false;
    out += `${name}: ${value}\r\n`;
  }
  fieldsAscii = ascii;
  return out;
}

/** A complete HTTP/1.1 response as bytes, for answers written outside any Response (overload.ts). */
export function wholeResponse(
  status: number,
  fields: HeaderList,
  body: string,
  defaults: ResponseDefaults = STANDARD_DEFAULTS,
): Buffer {
  const bytes = Buffer.from(body, "utf8");
  const head = `${statusLine(status)}${defaults.h1Lines}${dateHeaderLine()}${serializeFields(fields)}Content-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), bytes]);
}
