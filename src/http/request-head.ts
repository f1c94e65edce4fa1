// What a parsed request head holds: method, target, version, framing, and the raw field lines kept as
// offsets into the received bytes so values become strings only when someone asks (lazy headers).
// Filled by parse-request.ts, from the bytes received (HTTP/1.x) or from an HTTP/2 field block rendered
// in HTTP/1.1 form (h2/); the body and the connection live in request.ts.

import { Buffer } from "node:buffer";
import { equalsLowerAscii } from "../common/bytes.ts";
import { knownFieldId } from "./headers.ts";

export class RequestHead {
  /** The bytes the head was parsed from; field offsets index into it. */
  raw: Buffer = EMPTY;
  method = "";
  /** The request-target exactly as received. */
  target = "";
  /** The path part of the target, still percent-encoded ("*" for OPTIONS *, "" for CONNECT). */
  path = "";
  /** The path has "/." or "/%" somewhere: it may hold a dot segment (false means it surely does not). */
  pathMayHaveDotSegment = false;
  /** The query including its leading "?", or "". */
  query = "";
  /** 1 for HTTP/1.x, 2 for a request that came on an HTTP/2 stream. */
  versionMajor = 1;
  /** 0 for HTTP/1.0 and HTTP/2, 1 for HTTP/1.1. */
  versionMinor = 1;

  /** The protocol as request lines and logs write it: "HTTP/1.1", "HTTP/1.0" or "HTTP/2.0". */
  get protocol(): string {
    return this.versionMajor === 2 ? "HTTP/2.0" : this.versionMinor === 1 ? "HTTP/1.1" : "HTTP/1.0";
  }
  /** Set by the parser or a caller; null while only the Host field's offsets are known. */
  #host: string | null = "";
  #hostStart = 0;
  #hostEnd = 0;

  /** Host from the absolute-form target, else from the Host field; "" when there is none. */
  get host(): string {
    // Built on first use: most requests to a single-site server never look at it.
    if (this.#host === null) this.#host = this.raw.toString("latin1", this.#hostStart, this.#hostEnd);
    return this.#host;
  }

  /** Whether the host, or `fallback` when there is none, is `value`: compared without building a string. */
  hostIs(value: string, fallback: string): boolean {
    const start = this.#hostStart;
    if (this.#host === null && this.#hostEnd > start) {
      const raw = this.raw;
      if (this.#hostEnd - start !== value.length) return false;
      for (let i = 0; i < value.length; i++) if (raw[start + i] !== value.charCodeAt(i)) return false;
      return true;
    }
    const host = this.#host ?? "";
    return (host !== "" ? host : fallback) === value;
  }

  set host(value: string) {
    this.#host = value;
  }

  /** Takes the Host field's value raw[start, end) as the host unless the target already named one. */
  hostFromField(start: number, end: number): void {
    if (this.#host !== "") return;
    this.#host = null;
    this.#hostStart = start;
    this.#hostEnd = end;
  }
  absoluteForm = false;
  /** Per field: nameStart, nameEnd, valueStart, valueEnd, known id (or -1). */
  fields: number[] = [];
  /** Index of the head's first byte in `raw`. */
  headStart = 0;
  /** Index in `raw` of the request line's first byte (past empty lines skipped, RFC 9112 §2.2). */
  lineStart = 0;
  /** Index in `raw` just past the request-target: raw[lineStart, targetEnd) is "method SP target". */
  targetEnd = 0;
  /** Index just past the head's final CRLF in `raw`. */
  headEnd = 0;
  /** Declared body length, or -1 when there is no Content-Length. */
  contentLength = -1;
  chunked = false;
  /** Whether the client wants the connection kept open after this exchange. */
  keepAlive = true;
  expectContinue = false;
  /** The Upgrade field's value when the client asked to upgrade (Connection: upgrade), else "". */
  upgrade = "";

  /** True when a body follows the head (RFC 9112 §6.3). */
  get hasBody(): boolean {
    return this.chunked || this.contentLength > 0;
  }

  /** First value of a known field (by id from headers.ts), or undefined. */
  get(id: number): string | undefined {
    const f = this.fields;
    for (let k = 4; k < f.length; k += 5) {
      if (f[k] === id) return this.raw.toString("latin1", f[k - 2]!, f[k - 1]!);
    }
    return undefined;
  }

  /** All values of a known field joined with ", " (RFC 9110 §5.3), or undefined. */
  getCombined(id: number): string | undefined {
    const f = this.fields;
    let out: string | undefined;
    for (let k = 4; k < f.length; k += 5) {
      if (f[k] !== id) continue;
      const v = this.raw.toString("latin1", f[k - 2]!, f[k - 1]!);
      out = out === undefined ? v : `${out}, ${v}`;
    }
    return out;
  }

  /** True when a known field is present. */
  has(id: number): boolean {
    const f = this.fields;
    for (let k = 4; k < f.length; k += 5) if (f[k] === id) return true;
    return false;
  }

  /** Lower-cased, trimmed, non-empty members of a comma-separated known field. */
  tokens(id: number): string[] {
    const value = this.getCombined(id);
    if (value === undefined) return [];
    const out: string[] = [];
    for (const part of value.split(",")) {
      const t = part.trim().toLowerCase();
      if (t !== "") out.push(t);
    }
    return out;
  }

  /** Any field by name, all values combined, or undefined. */
  header(name: string): string | undefined {
    const id = knownFieldId(name);
    if (id !== -1) return this.getCombined(id);
    const lower = name.toLowerCase();
    const f = this.fields;
    let out: string | undefined;
    for (let k = 0; k < f.length; k += 5) {
      if (f[k + 4] !== -1 || !equalsLowerAscii(this.raw, f[k]!, f[k + 1]!, lower)) continue;
      const v = this.raw.toString("latin1", f[k + 2]!, f[k + 3]!);
      out = out === undefined ? v : `${out}, ${v}`;
    }
    return out;
  }

  /** Every field line in order as [name as sent, value]. */
  headerEntries(): Array<[string, string]> {
    const f = this.fields;
    const out: Array<[string, string]> = [];
    for (let k = 0; k < f.length; k += 5) {
      out.push([this.raw.toString("latin1", f[k]!, f[k + 1]!), this.raw.toString("latin1", f[k + 2]!, f[k + 3]!)]);
    }
    return out;
  }

  get headerCount(): number {
    return this.fields.length / 5;
  }
}

const EMPTY = Buffer.alloc(0);
