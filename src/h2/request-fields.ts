// Turns a request's decoded field block into the HTTP/1.1 form the engine parses (http/parse-request.ts):
// "METHOD :path HTTP/1.1", the fields as lines, Host from :authority, the cookie crumbs joined into one
// line (RFC 9113 §8.2.3). So a request on a stream is parsed, validated and read by handlers exactly as
// one on an HTTP/1.1 connection, and the proxy copies its lines as it copies received ones. Enforces
// HTTP/2's own rules on the way (RFC 9113 §8.2, §8.3): lower-case names, pseudo-header fields first,
// only the defined ones and once each, no connection-specific fields, TE only "trailers"; a violation
// makes the request malformed (a stream error). Also the sink for trailers. Pure: no I/O.

import { Buffer } from "node:buffer";
import { equalsLowerAscii } from "../common/bytes.ts";
import { F_CONNECTION, F_HOST, F_TRANSFER_ENCODING, F_UPGRADE, identifyField } from "../http/headers.ts";
import type { FieldSink } from "./hpack-decoder.ts";
import { K_BAD_NAME, K_BAD_VALUE, K_PSEUDO, K_SPACED_VALUE } from "./hpack-table.ts";

const F_TE = identifyField(Buffer.from("te"), 0, 2);
const F_KEEP_ALIVE = identifyField(Buffer.from("keep-alive"), 0, 10);
const F_PROXY_CONNECTION = identifyField(Buffer.from("proxy-connection"), 0, 16);
const F_COOKIE = identifyField(Buffer.from("cookie"), 0, 6);

const P_METHOD = 0;
const P_SCHEME = 1;
const P_AUTHORITY = 2;
const P_PATH = 3;
const PSEUDO_NAMES = [":method", ":scheme", ":authority", ":path"];

const HTTP11 = Buffer.from(" HTTP/1.1\r\n", "latin1");

/** Renders one request's fields at a time (one object per session, reused). */
export class RequestFields implements FieldSink {
  /** Why the request is malformed, or "" when it is not. */
  malformed = "";
  #out = Buffer.allocUnsafe(1024);
  #at = 0;
  /** Pseudo-header values, as latin1 strings (they are short and each is used once). */
  #pseudo: Array<string | null> = [null, null, null, null];
  #lineWritten = false;
  #hostSeen = false;
  #hostStart = 0;
  #hostEnd = 0;
  #cookies: string | null = null;

  begin(): void {
    this.malformed = "";
    this.#at = 0;
    this.#pseudo.fill(null);
    this.#lineWritten = false;
    this.#hostSeen = false;
    this.#cookies = null;
  }

  field(line: Buffer, start: number, nameEnd: number, end: number, kind: number): void {
    if (this.malformed !== "") return;
    const valueStart = nameEnd + 2;
    if ((kind & (K_BAD_NAME | K_BAD_VALUE | K_SPACED_VALUE)) !== 0) {
      this.malformed =
        (kind & K_BAD_NAME) !== 0
          ? "invalid field name"
          : (kind & K_BAD_VALUE) !== 0
            ? "NUL, CR or LF in a field value"
            : "whitespace around a field value";
      return;
    }
    if ((kind & K_PSEUDO) !== 0) {
      if (this.#lineWritten) {
        this.malformed = "pseudo-header field after a regular field";
        return;
      }
      let which = -1;
      for (let p = 0; p < PSEUDO_NAMES.length; p++) {
        if (equalsLowerAscii(line, start, nameEnd, PSEUDO_NAMES[p]!)) which = p;
      }
      if (which === -1) {
        // :status (a response field), :protocol (extended CONNECT is not enabled) or unknown.
        this.malformed = `pseudo-header field ${line.toString("latin1", start, nameEnd)} not allowed`;
        return;
      }
      if (this.#pseudo[which] !== null) {
        this.malformed = `${PSEUDO_NAMES[which]} repeated`;
        return;
      }
      this.#pseudo[which] = line.toString("latin1", valueStart, end);
      return;
    }
    if (!this.#lineWritten && !this.#requestLine()) return;
    const id = identifyField(line, start, nameEnd);
    if (id !== -1) {
      if (
        id === F_CONNECTION ||
        id === F_KEEP_ALIVE ||
        id === F_PROXY_CONNECTION ||
        id === F_TRANSFER_ENCODING ||
        id === F_UPGRADE
      ) {
        this.malformed = `connection-specific field ${line.toString("latin1", start, nameEnd)}`;
        return;
      }
      if (id === F_TE && !equalsLowerAscii(line, valueStart, end, "trailers")) {
        this.malformed = 'TE other than "trailers"';
        return;
      }
      if (id === F_COOKIE) {
        const crumb = line.toString("latin1", valueStart, end);
        this.#cookies = this.#cookies === null ? crumb : `${this.#cookies}; ${crumb}`;
        return;
      }
      if (id === F_HOST) {
        this.#hostSeen = true;
        this.#hostStart = this.#at + (nameEnd - start) + 2;
        this.#hostEnd = this.#hostStart + (end - valueStart);
      }
    }
    this.#append(line, start, end);
    this.#crlf();
  }

  /**
   * The request head in HTTP/1.1 form (a new buffer the request keeps), or null when the request is
   * malformed (`malformed` says why). `endStream`: no body follows.
   */
  finish(): Buffer | null {
    if (this.malformed !== "") return null;
    if (!this.#lineWritten && !this.#requestLine()) return null;
    const authority = this.#pseudo[P_AUTHORITY] ?? null;
    if (this.#cookies !== null) {
      this.#text("cookie: ");
      this.#text(this.#cookies);
      this.#crlf();
    }
    if (authority !== null) {
      if (this.#hostSeen) {
        // RFC 9113 §8.3.1: a Host naming another entity than :authority makes the request malformed.
        if (!equalsLowerAscii(this.#out, this.#hostStart, this.#hostEnd, authority.toLowerCase())) {
          this.malformed = "Host differs from :authority";
          return null;
        }
      } else {
        this.#text("host: ");
        this.#text(authority);
        this.#crlf();
      }
    }
    this.#crlf();
    return Buffer.from(this.#out.subarray(0, this.#at));
  }

  /** The request line from the pseudo-header fields, once they are all in (RFC 9113 §8.3.1). */
  #requestLine(): boolean {
    const method = this.#pseudo[P_METHOD] ?? null;
    const scheme = this.#pseudo[P_SCHEME] ?? null;
    const path = this.#pseudo[P_PATH] ?? null;
    const authority = this.#pseudo[P_AUTHORITY] ?? null;
    if (method === null) {
      this.malformed = ":method missing";
      return false;
    }
    let target: string;
    if (method === "CONNECT") {
      // RFC 9113 §8.5: :authority only.
      if (scheme !== null || path !== null || authority === null) {
        this.malformed = "CONNECT needs :authority alone";
        return false;
      }
      target = authority;
    } else {
      if (scheme === null || path === null) {
        this.malformed = scheme === null ? ":scheme missing" : ":path missing";
        return false;
      }
      if (path === "" || (path.charCodeAt(0) !== 0x2f && !(path === "*" && method === "OPTIONS"))) {
        this.malformed = "invalid :path";
        return false;
      }
      target = path;
    }
    if (authority?.includes("@")) {
      this.malformed = ":authority with userinfo";
      return false;
    }
    this.#lineWritten = true;
    this.#text(method);
    this.#text(" ");
    this.#text(target);
    this.#room(HTTP11.length);
    this.#out.set(HTTP11, this.#at);
    this.#at += HTTP11.length;
    return true;
  }

  #append(src: Buffer, start: number, end: number): void {
    this.#room(end - start);
    src.copy(this.#out, this.#at, start, end);
    this.#at += end - start;
  }

  #text(s: string): void {
    this.#room(s.length);
    this.#at += this.#out.write(s, this.#at, "latin1");
  }

  #crlf(): void {
    this.#room(2);
    this.#out[this.#at++] = 0x0d;
    this.#out[this.#at++] = 0x0a;
  }

  #room(n: number): void {
    if (this.#at + n <= this.#out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#out.length * 2, this.#at + n));
    this.#out.copy(bigger, 0, 0, this.#at);
    this.#out = bigger;
  }
}

/** Collects a trailer block as HTTP/1.1 field lines ("name: value"), as BodySink.end receives them. */
export class TrailerFields implements FieldSink {
  lines: string[] = [];
  malformed = "";

  begin(): void {
    this.lines = [];
    this.malformed = "";
  }

  field(line: Buffer, start: number, nameEnd: number, end: number, kind: number): void {
    if (this.malformed !== "") return;
    // RFC 9113 §8.1: trailers carry no pseudo-header fields.
    if ((kind & (K_PSEUDO | K_BAD_NAME | K_BAD_VALUE | K_SPACED_VALUE)) !== 0) {
      this.malformed = "invalid trailer field";
      return;
    }
    const id = identifyField(line, start, nameEnd);
    if (id === F_CONNECTION || id === F_TRANSFER_ENCODING || id === F_UPGRADE || id === F_KEEP_ALIVE) {
      this.malformed = "connection-specific trailer field";
      return;
    }
    this.lines.push(line.toString("latin1", start, end));
  }
}
