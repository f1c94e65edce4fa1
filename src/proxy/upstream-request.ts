// The request body on its way to an upstream, after the head: passed on as the client sends it,
// framed again as chunks (RFC 9112 §7.1) when the client's body was chunked (the engine decoded it),
// and ended by the last chunk with the trailers that may be forwarded (RFC 9110 §6.5.1). It also
// tracks whether all of it is written and whether the upstream holds it up: the connection arms its
// response deadline from those. Not here: the socket's life, timeouts, the response.

import { Buffer } from "node:buffer";
import { LAST_CHUNK } from "../http/chunked.ts";
import { isForwardableTrailer } from "./forward.ts";
import type { UpstreamSocket } from "./tls-transport.ts";

const CRLF = Buffer.from("\r\n");

export class UpstreamRequest {
  /** The whole request (head and body) is written: from then on the response timeout runs. */
  sent = false;
  /** The upstream is not taking request body bytes (a write said wait for drain). */
  blocked = false;
  #chunked = false;
  readonly #socket: UpstreamSocket;

  constructor(socket: UpstreamSocket) {
    this.#socket = socket;
  }

  /** A new request: a body follows when `hasBody`, chunked when `chunked`. */
  reset(chunked: boolean, hasBody: boolean): void {
    this.#chunked = chunked;
    this.sent = !hasBody;
    this.blocked = false;
  }

  /** Writes body bytes (as a chunk when chunked); false, and `blocked`, when the socket says wait. */
  write(chunk: Buffer): boolean {
    let ok: boolean;
    if (!this.#chunked) ok = this.#socket.write(chunk);
    else if (chunk.length === 0) ok = true;
    else {
      const socket = this.#socket;
      socket.cork();
      socket.write(Buffer.from(`${chunk.length.toString(16)}\r\n`, "latin1"));
      socket.write(chunk);
      ok = socket.write(CRLF);
      socket.uncork();
    }
    if (!ok) this.blocked = true;
    return ok;
  }

  /** The body is complete: a chunked one gets its last chunk and the client's forwardable trailers. */
  end(trailers: readonly string[]): void {
    if (!this.#chunked) return;
    const kept = trailers.filter(isForwardableTrailer);
    if (kept.length === 0) this.#socket.write(LAST_CHUNK);
    else this.#socket.write(Buffer.from(`0\r\n${kept.join("\r\n")}\r\n\r\n`, "latin1"));
  }
}
