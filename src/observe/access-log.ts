// Per-request log lines — the seed-000 audit format `METHOD,URI,STATUS,REQUEST-ID`, Common and Combined
// Log Format, or JSON. The lines of one event-loop turn are written together, synchronously, before
// any response bytes of that turn reach a socket (the engine holds them: http/transport.ts
// holdWrites), so a response a client received always has its line on file, even after `kill -9`.
// Lines from different threads never interleave: each write(2) holds whole lines and at most 4 KiB
// (atomic on pipes; O_APPEND for files). Subscribes to the engine's events.

import { Buffer } from "node:buffer";
import diagnosticsChannel from "node:diagnostics_channel";
import fs from "node:fs";
import { formatHttpDate } from "../common/clock.ts";
import { F_REQUEST_ID } from "../http/headers.ts";
import {
  type RequestFinishMessage,
  type ResponseHeadMessage,
  requestFinishChannel,
  responseHeadChannel,
} from "../http/events.ts";
import type { Request } from "../http/request.ts";
import { holdWrites } from "../http/transport.ts";
import { LogRotation, type RotationOptions } from "./log-rotation.ts";

export type LogFormat = "audit" | "common" | "combined" | "combined-plus" | "json";

export interface AccessLogOptions {
  readonly format: LogFormat;
  /** A file to append to; when absent, `fd` is used (2 = stderr). */
  readonly path?: string;
  readonly fd?: number;
  /** Size-based rotation of `path` (log-rotation.ts). */
  readonly rotate?: RotationOptions;
  /** Runs once, before the first line is written (a worker waits there for the start-up banner). */
  readonly beforeFirstLine?: () => void;
}

/**
 * One try of a proxied request, as proxy/events.ts publishes it (a sibling folder: joined by the
 * channel's name, not an import).
 */
interface UpstreamAttempt {
  readonly request: Request;
  readonly upstream: string;
  readonly status: number;
  readonly durationMs: number;
  readonly error: string;
}

const upstreamAttemptChannel = diagnosticsChannel.channel("portico:proxy.upstream.attempt");

/** PIPE_BUF on Linux: one write(2) of at most this many bytes to a pipe is never split. */
const BATCH_BYTES = 4096;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export class AccessLog {
  readonly #options: AccessLogOptions;
  #fd: number;
  #ownsFd: boolean;
  readonly #rotation: LogRotation | null;
  readonly #onHead = (message: unknown): void => this.#head(message as ResponseHeadMessage);
  readonly #onFinish = (message: unknown): void => this.#finish(message as RequestFinishMessage);
  readonly #onAttempt = (message: unknown): void => {
    const attempt = message as UpstreamAttempt;
    const list = this.#attempts.get(attempt.request);
    if (list === undefined) this.#attempts.set(attempt.request, [attempt]);
    else list.push(attempt);
  };
  /** The upstream tries of proxied requests not yet logged (json and combined-plus only). */
  readonly #attempts = new WeakMap<Request, UpstreamAttempt[]>();
  /** Lines of this turn not yet written. */
  #batch = "";
  #beforeFirstLine: (() => void) | null;
  readonly #flushBatch = (): void => this.flush();

  constructor(options: AccessLogOptions) {
    this.#options = options;
    this.#beforeFirstLine = options.beforeFirstLine ?? null;
    if (options.path !== undefined) {
      this.#fd = openAppend(options.path);
      this.#ownsFd = true;
    } else {
      this.#fd = options.fd ?? 2;
      this.#ownsFd = false;
    }
    const rotate = options.rotate;
    this.#rotation =
      options.path !== undefined && rotate !== undefined && rotate.maxBytes > 0
        ? new LogRotation(options.path, rotate)
        : null;
    this.#rotation?.opened(this.#fd);
  }

  start(): void {
    // The audit line is written when the status is fixed (under the URI lock, for coherence);
    // the other formats need the byte count, known just before the last write.
    const format = this.#options.format;
    if (format === "audit") responseHeadChannel.subscribe(this.#onHead);
    else requestFinishChannel.subscribe(this.#onFinish);
    if (format === "json" || format === "combined-plus") upstreamAttemptChannel.subscribe(this.#onAttempt);
  }

  stop(): void {
    this.flush();
    responseHeadChannel.unsubscribe(this.#onHead);
    requestFinishChannel.unsubscribe(this.#onFinish);
    upstreamAttemptChannel.unsubscribe(this.#onAttempt);
    if (this.#ownsFd) fs.closeSync(this.#fd);
    this.#ownsFd = false;
  }

  /** Re-opens the log file (after rotation: SIGUSR1). */
  reopen(): void {
    if (this.#options.path === undefined) return;
    this.flush();
    this.#reopenFile();
  }

  #reopenFile(): void {
    const fd = openAppend(this.#options.path!);
    const old = this.#fd;
    this.#fd = fd;
    fs.closeSync(old);
  }

  #head(message: ResponseHeadMessage): void {
    // Every request gets its line, engine errors (400, 408, 414, 431…) included, as in the other formats.
    const req = message.request;
    const id = req.get(F_REQUEST_ID);
    this.#write(
      `${auditField(req.method)},${auditField(req.target)},${message.status},${id === undefined ? "0" : auditField(id)}\n`,
    );
  }

  #finish(message: RequestFinishMessage): void {
    const req = message.request;
    const format = this.#options.format;
    const attempts = this.#attempts.get(req);
    if (format === "json") {
      this.#write(`${JSON.stringify(jsonRecord(message, attempts))}\n`);
      return;
    }
    let line = `${req.remoteAddress || "-"} - - [${clfDate(Date.now())}] "${escapeField(requestLine(req))}" ${message.status} ${message.bodyBytes === 0 ? "-" : message.bodyBytes}`;
    if (format !== "common")
      line += ` "${escapeField(req.header("referer") ?? "-")}" "${escapeField(req.header("user-agent") ?? "-")}"`;
    // combined-plus: nginx's $request_time (seconds, millisecond resolution) and the upstream triple.
    if (format === "combined-plus") line += ` rt=${seconds(message.durationMs)}${upstreamFields(attempts)}`;
    this.#write(`${line}\n`);
  }

  #write(line: string): void {
    if (this.#batch.length + line.length > BATCH_BYTES) this.flush();
    this.#batch += line;
    holdWrites(this.#flushBatch);
  }

  /** Writes the lines gathered so far (the engine calls this before releasing the turn's responses). */
  flush(): void {
    const text = this.#batch;
    if (text === "") return;
    if (this.#beforeFirstLine !== null) {
      const wait = this.#beforeFirstLine;
      this.#beforeFirstLine = null;
      wait();
    }
    this.#batch = "";
    const rotation = this.#rotation;
    if (rotation?.beforeWrite()) this.#reopenFile();
    // The common case — all of it in one write(2) straight from the string — allocates nothing.
    let written = 0;
    try {
      written = fs.writeSync(this.#fd, text);
    } catch {
      written = 0;
    }
    if (written !== text.length) {
      const bytes = Buffer.from(text, "utf8");
      if (written < bytes.length) writeFully(this.#fd, bytes.subarray(written));
    }
    if (rotation?.afterWrite(text.length)) this.#reopenFile();
  }
}

function openAppend(path: string): number {
  return fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o644);
}

/** One write(2) for the whole line where the kernel allows it; retries a full pipe instead of dropping. */
function writeFully(fd: number, bytes: Buffer): void {
  let offset = 0;
  let spins = 0;
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(fd, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN" || ++spins > 100_000) return;
    }
  }
}

function requestLine(req: Request): string {
  return req.method === "" ? "-" : `${req.method} ${req.target} ${req.protocol}`;
}

/**
 * One field of an audit line, percent-encoded where it could break the line apart: the separator `,`,
 * `%` itself (so the encoding is reversible and two different requests never write the same line),
 * control bytes and bytes from 0x80 (U+0085 and friends end lines in some viewers). Fields are Latin-1
 * strings of the received bytes, so each character is one byte. A field never received (the request
 * line could not be read) is `-`.
 */
export function auditField(s: string): string {
  if (s === "") return "-";
  let i = 0;
  while (i < s.length && AUDIT_PLAIN[s.charCodeAt(i)] === 1) i++;
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += AUDIT_PLAIN[c] === 1 ? s[i] : `%${HEX[c >> 4]}${HEX[c & 15]}`;
  }
  return out;
}

const HEX = "0123456789ABCDEF";
/** Printable ASCII except `,` and `%`: written as it is in an audit field. */
const AUDIT_PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x7f; c++) AUDIT_PLAIN[c] = c === 0x2c || c === 0x25 ? 0 : 1;

/** Quotes and control bytes are escaped so a line can always be split and parsed (like nginx). */
function escapeField(s: string): string {
  return s.replace(/["\\\x00-\x1f\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function clfDate(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** Seconds with millisecond resolution, as nginx writes $request_time. */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * nginx's $upstream_addr, $upstream_status and $upstream_response_time: one value per try, joined
 * by ", " (a try without a response has status "-"); "-" for a request no upstream saw.
 */
function upstreamFields(attempts: readonly UpstreamAttempt[] | undefined): string {
  if (attempts === undefined) return " ua=- us=- ut=-";
  let addr = "";
  let status = "";
  let time = "";
  for (const a of attempts) {
    const sep = addr === "" ? "" : ", ";
    addr += sep + a.upstream;
    status += sep + (a.status === 0 ? "-" : String(a.status));
    time += sep + seconds(a.durationMs);
  }
  return ` ua="${escapeField(addr)}" us="${status}" ut="${time}"`;
}

function jsonRecord(
  message: RequestFinishMessage,
  attempts: readonly UpstreamAttempt[] | undefined,
): Record<string, unknown> {
  const req = message.request;
  const record: Record<string, unknown> = {
    time: new Date().toISOString(),
    remote: req.remoteAddress,
    method: req.method,
    target: req.target,
    version: `${req.versionMajor}.${req.versionMinor}`,
    host: req.host,
    status: message.status,
    bytes: message.bodyBytes,
    durationUs: Math.round(message.durationMs * 1000),
    durationMs: Math.round(message.durationMs * 1000) / 1000,
    complete: message.complete,
    requestId: req.get(F_REQUEST_ID) ?? null,
    userAgent: req.header("user-agent") ?? null,
    referer: req.header("referer") ?? null,
    date: formatHttpDate(Date.now()),
  };
  if (attempts !== undefined) {
    record.upstreams = attempts.map((a) => ({
      addr: a.upstream,
      status: a.status === 0 ? null : a.status,
      durationUs: Math.round(a.durationMs * 1000),
      ...(a.error !== "" ? { error: a.error } : {}),
    }));
  }
  return record;
}
