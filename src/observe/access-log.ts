// Per-request log lines — the seed-000 audit format `METHOD,URI,STATUS,REQUEST-ID`, Common and Combined
// Log Format, or JSON — written synchronously to a file descriptor before the response's last byte is
// handed to the socket, so every line survives `kill -9` and lines from different threads never
// interleave (one write(2) per line; O_APPEND for files). Subscribes to the engine's events.

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

export type LogFormat = "audit" | "common" | "combined" | "json";

export interface AccessLogOptions {
  readonly format: LogFormat;
  /** A file to append to; when absent, `fd` is used (2 = stderr). */
  readonly path?: string;
  readonly fd?: number;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export class AccessLog {
  readonly #options: AccessLogOptions;
  #fd: number;
  #ownsFd: boolean;
  readonly #onHead = (message: unknown): void => this.#head(message as ResponseHeadMessage);
  readonly #onFinish = (message: unknown): void => this.#finish(message as RequestFinishMessage);

  constructor(options: AccessLogOptions) {
    this.#options = options;
    if (options.path !== undefined) {
      this.#fd = openAppend(options.path);
      this.#ownsFd = true;
    } else {
      this.#fd = options.fd ?? 2;
      this.#ownsFd = false;
    }
  }

  start(): void {
    // The audit line is written when the status is fixed (under the URI lock, for coherence);
    // the other formats need the byte count, known just before the last write.
    if (this.#options.format === "audit") responseHeadChannel.subscribe(this.#onHead);
    else requestFinishChannel.subscribe(this.#onFinish);
  }

  stop(): void {
    responseHeadChannel.unsubscribe(this.#onHead);
    requestFinishChannel.unsubscribe(this.#onFinish);
    if (this.#ownsFd) fs.closeSync(this.#fd);
    this.#ownsFd = false;
  }

  /** Re-opens the log file (after rotation: SIGUSR1). */
  reopen(): void {
    if (this.#options.path === undefined) return;
    const fd = openAppend(this.#options.path);
    const old = this.#fd;
    this.#fd = fd;
    fs.closeSync(old);
  }

  #head(message: ResponseHeadMessage): void {
    if (!message.handled) return;
    const req = message.request;
    this.#write(`${req.method},${req.target},${message.status},${req.get(F_REQUEST_ID) ?? "0"}\n`);
  }

  #finish(message: RequestFinishMessage): void {
    const req = message.request;
    const format = this.#options.format;
    if (format === "json") {
      this.#write(`${JSON.stringify(jsonRecord(message))}\n`);
      return;
    }
    let line = `${req.remoteAddress || "-"} - - [${clfDate(Date.now())}] "${escape(requestLine(req))}" ${message.status} ${message.bodyBytes === 0 ? "-" : message.bodyBytes}`;
    if (format === "combined") line += ` "${escape(req.header("referer") ?? "-")}" "${escape(req.header("user-agent") ?? "-")}"`;
    this.#write(`${line}\n`);
  }

  #write(line: string): void {
    // The common case — the whole line in one write(2) straight from the string — allocates nothing.
    let written = 0;
    try {
      written = fs.writeSync(this.#fd, line);
    } catch {
      written = 0;
    }
    if (written === line.length) return;
    const bytes = Buffer.from(line, "utf8");
    if (written < bytes.length) writeFully(this.#fd, bytes.subarray(written));
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
  return req.method === "" ? "-" : `${req.method} ${req.target} HTTP/1.${req.versionMinor}`;
}

/** Quotes and control bytes are escaped so a line can always be split and parsed (like nginx). */
function escape(s: string): string {
  return s.replace(/["\\\x00-\x1f\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function clfDate(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

function jsonRecord(message: RequestFinishMessage): Record<string, unknown> {
  const req = message.request;
  return {
    time: new Date().toISOString(),
    remote: req.remoteAddress,
    method: req.method,
    target: req.target,
    version: `1.${req.versionMinor}`,
    host: req.host,
    status: message.status,
    bytes: message.bodyBytes,
    durationMs: Math.round(message.durationMs * 1000) / 1000,
    complete: message.complete,
    requestId: req.get(F_REQUEST_ID) ?? null,
    userAgent: req.header("user-agent") ?? null,
    referer: req.header("referer") ?? null,
    date: formatHttpDate(Date.now()),
  };
}
