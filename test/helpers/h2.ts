// A raw HTTP/2 client for tests: builds any frame (valid or not), encodes request field blocks with a
// plain HPACK encoder of its own (literals without indexing, never Huffman), reads frames back and
// decodes response blocks, over a TCP socket (e2e) or handed to a session in process. It follows no
// rule on its own: tests decide what is sent. Not a test file itself.

import { Buffer } from "node:buffer";
import net from "node:net";
import { type FieldSink, HpackDecoder } from "../../src/h2/hpack-decoder.ts";

export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export const DATA = 0;
export const HEADERS = 1;
export const PRIORITY = 2;
export const RST_STREAM = 3;
export const SETTINGS = 4;
export const PUSH_PROMISE = 5;
export const PING = 6;
export const GOAWAY = 7;
export const WINDOW_UPDATE = 8;
export const CONTINUATION = 9;

export const END_STREAM = 0x1;
export const ACK = 0x1;
export const END_HEADERS = 0x4;
export const PADDED = 0x8;
export const PRIORITY_FLAG = 0x20;

export type Fields = ReadonlyArray<readonly [string, string]>;

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

export function frame(
  type: number,
  flags: number,
  stream: number,
  payload: Buffer | Uint8Array = Buffer.alloc(0),
): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(stream >>> 0, 5);
  out.set(payload, 9);
  return out;
}

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

export function settings(pairs: ReadonlyArray<readonly [number, number]> = [], flags = 0): Buffer {
  const payload = Buffer.alloc(pairs.length * 6);
  pairs.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(SETTINGS, flags, 0, payload);
}

export const settingsAck = (): Buffer => frame(SETTINGS, ACK, 0);
export const ping = (payload = Buffer.alloc(8, 1), flags = 0): Buffer => frame(PING, flags, 0, payload);
export const windowUpdate = (stream: number, increment: number): Buffer =>
  frame(WINDOW_UPDATE, 0, stream, u32(increment));
export const rst = (stream: number, code: number): Buffer => frame(RST_STREAM, 0, stream, u32(code));
export const data = (stream: number, bytes: Buffer | string, flags = 0): Buffer =>
  frame(DATA, flags, stream, typeof bytes === "string" ? Buffer.from(bytes) : bytes);
export const goaway = (last: number, code: number): Buffer =>
  frame(GOAWAY, 0, 0, Buffer.concat([u32(last), u32(code)]));
export const priority = (stream: number, dependsOn: number): Buffer =>
  frame(PRIORITY, 0, stream, Buffer.concat([u32(dependsOn), Buffer.from([16])]));

/** RFC 7541 §5.1 integer with an N-bit prefix. */
export function hpackInteger(value: number, prefixBits: number, high = 0): Buffer {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) return Buffer.from([high | value]);
  const out = [high | mask];
  value -= mask;
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return Buffer.from(out);
}

function hpackString(s: string): Buffer {
  const bytes = Buffer.from(s, "latin1");
  return Buffer.concat([hpackInteger(bytes.length, 7), bytes]);
}

/** A field block of literals without indexing and new names (RFC 7541 §6.2.2). */
export function encodeFields(fields: Fields): Buffer {
  return Buffer.concat(
    fields.map(([name, value]) => Buffer.concat([Buffer.from([0]), hpackString(name), hpackString(value)])),
  );
}

/** A literal with incremental indexing (§6.2.1): the entry lands in the peer's dynamic table. */
export function indexedLiteral(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x40]), hpackString(name), hpackString(value)]);
}

/** An indexed field (§6.1). */
export function indexed(index: number): Buffer {
  return hpackInteger(index, 7, 0x80);
}

export function requestFields(path: string, extra: Fields = [], method = "GET"): Fields {
  return [[":method", method], [":scheme", "http"], [":path", path], [":authority", "localhost"], ...extra];
}

export function headers(stream: number, block: Buffer, flags = END_HEADERS | END_STREAM): Buffer {
  return frame(HEADERS, flags, stream, block);
}

export function request(stream: number, path: string, extra: Fields = [], flags = END_HEADERS | END_STREAM): Buffer {
  return headers(stream, encodeFields(requestFields(path, extra)), flags);
}

/** Splits bytes into frames as they arrive. */
export class FrameReader {
  #buf = Buffer.alloc(0);

  push(bytes: Buffer): Frame[] {
    this.#buf = Buffer.concat([this.#buf, bytes]);
    const out: Frame[] = [];
    while (this.#buf.length >= 9) {
      const length = this.#buf.readUIntBE(0, 3);
      if (this.#buf.length < 9 + length) break;
      out.push({
        type: this.#buf[3]!,
        flags: this.#buf[4]!,
        stream: this.#buf.readUInt32BE(5) & 0x7fffffff,
        payload: Buffer.from(this.#buf.subarray(9, 9 + length)),
      });
      this.#buf = this.#buf.subarray(9 + length);
    }
    return out;
  }
}

/** Decodes response field blocks in order (one decoder per connection, as HPACK wants). */
export class BlockDecoder {
  readonly #decoder = new HpackDecoder(4096);

  decode(block: Buffer): Array<[string, string]> {
    const fields: Array<[string, string]> = [];
    const sink: FieldSink = {
      field(line, start, nameEnd, end) {
        fields.push([line.toString("latin1", start, nameEnd), line.toString("latin1", nameEnd + 2, end)]);
      },
    };
    const result = this.#decoder.decode(block, 0, block.length, sink, 1 << 30);
    if (result !== 0) throw new Error(`response block did not decode: ${this.#decoder.failure}`);
    return fields;
  }
}

export interface H2Response {
  readonly status: number;
  readonly headers: Array<[string, string]>;
  readonly body: Buffer;
  readonly trailers: Array<[string, string]>;
}

/** Frames received by a client, with waits and per-stream responses. */
export class FrameLog {
  readonly frames: Frame[] = [];
  readonly #reader = new FrameReader();
  readonly #decoder = new BlockDecoder();
  readonly #waiters: Array<() => void> = [];
  /** Decoded field blocks by stream, in order (CONTINUATION joined). */
  readonly blocks = new Map<number, Array<Array<[string, string]>>>();
  #partial: Buffer[] = [];
  closed = false;

  push(bytes: Buffer): void {
    for (const f of this.#reader.push(bytes)) {
      this.frames.push(f);
      if (f.type === HEADERS || f.type === CONTINUATION) {
        this.#partial.push(f.type === HEADERS ? headerFragment(f) : f.payload);
        if ((f.flags & END_HEADERS) !== 0) {
          const list = this.blocks.get(f.stream) ?? [];
          list.push(this.#decoder.decode(Buffer.concat(this.#partial)));
          this.blocks.set(f.stream, list);
          this.#partial = [];
        }
      }
    }
    this.#wake();
  }

  close(): void {
    this.closed = true;
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves once `test` holds (checked on every arrival), or rejects after `timeoutMs`. */
  async until<T>(test: () => T | undefined | false, timeoutMs = 10_000, what = "a condition"): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = test();
      if (value !== undefined && value !== false) return value;
      if (this.closed) {
        const again = test();
        if (again !== undefined && again !== false) return again;
        throw new Error(`connection closed while waiting for ${what}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  find(type: number, stream?: number): Frame | undefined {
    return this.frames.find((f) => f.type === type && (stream === undefined || f.stream === stream));
  }

  /** The first GOAWAY: last stream id and error code. */
  goaway(): { last: number; code: number; debug: string } | undefined {
    const f = this.find(GOAWAY);
    if (f === undefined) return undefined;
    return {
      last: f.payload.readUInt32BE(0) & 0x7fffffff,
      code: f.payload.readUInt32BE(4),
      debug: f.payload.toString("latin1", 8),
    };
  }

  /** The RST_STREAM code for a stream, if one came. */
  resetCode(stream: number): number | undefined {
    const f = this.find(RST_STREAM, stream);
    return f === undefined ? undefined : f.payload.readUInt32BE(0);
  }

  /** The stream's complete response, once its END_STREAM has arrived. */
  response(stream: number): H2Response | undefined {
    const ended = this.frames.some(
      (f) => f.stream === stream && (f.type === DATA || f.type === HEADERS) && (f.flags & END_STREAM) !== 0,
    );
    if (!ended) return undefined;
    const blocks = (this.blocks.get(stream) ?? []).filter(
      (b) => !b.some(([n, v]) => n === ":status" && v.startsWith("1")),
    );
    const head = blocks[0] ?? [];
    const status = Number(head.find(([n]) => n === ":status")?.[1] ?? 0);
    const body = Buffer.concat(this.frames.filter((f) => f.type === DATA && f.stream === stream).map(dataContent));
    return { status, headers: head.filter(([n]) => n !== ":status"), body, trailers: blocks[1] ?? [] };
  }
}

function headerFragment(f: Frame): Buffer {
  let start = 0;
  let end = f.payload.length;
  if ((f.flags & PADDED) !== 0) {
    end -= f.payload[0]!;
    start = 1;
  }
  if ((f.flags & PRIORITY_FLAG) !== 0) start += 5;
  return f.payload.subarray(start, end);
}

function dataContent(f: Frame): Buffer {
  if ((f.flags & PADDED) === 0) return f.payload;
  return f.payload.subarray(1, f.payload.length - f.payload[0]!);
}

/** SETTINGS_INITIAL_WINDOW_SIZE at its largest and the connection window opened as far: no waiting. */
export function wideOpen(): Buffer {
  return Buffer.concat([settings([[0x4, 0x7fffffff]]), windowUpdate(0, 0x7fffffff - 65_535)]);
}

/** A client over TCP: the preface and an empty SETTINGS are sent on connect unless told otherwise. */
export class H2Client {
  readonly log = new FrameLog();
  readonly socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (d: Buffer) => this.log.push(d));
    // The server's FIN ends the exchange (the socket allows half-close, so "close" would wait for ours).
    socket.on("end", () => this.log.close());
    socket.on("close", () => this.log.close());
    socket.on("error", () => this.log.close());
  }

  static connect(port: number, options: { preface?: boolean; settings?: Buffer } = {}): Promise<H2Client> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => {
        const client = new H2Client(socket);
        if (options.preface !== false) socket.write(Buffer.concat([PREFACE, options.settings ?? settings()]));
        resolve(client);
      });
      socket.once("error", reject);
    });
  }

  send(...frames: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(frames));
  }

  /** Sends a GET and waits for its response. */
  async get(stream: number, path: string, extra: Fields = [], timeoutMs = 10_000): Promise<H2Response> {
    this.send(request(stream, path, extra));
    return this.log.until(() => this.log.response(stream), timeoutMs, `the response on stream ${stream}`);
  }

  close(): void {
    this.socket.destroy();
  }
}

export function header(res: H2Response, name: string): string | undefined {
  return res.headers.find(([n]) => n === name)?.[1];
}
