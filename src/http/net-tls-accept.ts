// TLS termination on the node:net transport, with public APIs only: an accepted net.Socket reads its
// first bytes for the greeting (tls-listen.ts), and a handshake gets a tls.TLSSocket over the socket
// with the chosen SecureContext (the same certificate store and shared ticket keys as the handle
// path), the bytes read so far put back with unshift() (TLSSocket feeds what its socket has buffered
// to OpenSSL first); a NetTransport carries the cleartext. Not here: what the first bytes mean
// (tls-listen.ts), the handle path (uv-tls-accept.ts), choosing certificates (tls/), HTTP.

import type { Buffer } from "node:buffer";
import type net from "node:net";
import tls from "node:tls";
import type { CertificateStore } from "../tls/certificate-store.ts";
import type { TlsEndpoint } from "../tls/endpoint.ts";
import { ALPN_ACME } from "../tls/settings.ts";
import { NetTransport } from "./net-transport.ts";
import {
  type GreetedConnection,
  handshakeCompleted,
  handshakeFailed,
  TlsGreeting,
  type TlsListening,
} from "./tls-listen.ts";
import type { Transport } from "./transport.ts";

const ACME_PROTOCOLS = [ALPN_ACME];

/**
 * Takes an accepted socket and greets it (tls-listen.ts): once its first bytes show a TLS
 * handshake, the acceptor gets a Transport reading cleartext, else hears it was abandoned.
 */
export function acceptNetTls(socket: net.Socket, listening: TlsListening): void {
  const conn = new GreetedSocket(socket, listening.endpoint);
  conn.listen(new TlsGreeting(conn, listening));
}

/** An accepted socket during its greeting, and what becomes of it. */
class GreetedSocket implements GreetedConnection {
  readonly #socket: net.Socket;
  readonly #endpoint: TlsEndpoint;
  #greeting: TlsGreeting | null = null;
  // The socket's chunks are its own (never reused): a partial ClientHello is kept as it came.
  readonly #onData = (chunk: Buffer): void => this.#greeting!.received(chunk, false);
  readonly #onGone = (): void => this.#greeting!.close();

  constructor(socket: net.Socket, endpoint: TlsEndpoint) {
    this.#socket = socket;
    this.#endpoint = endpoint;
  }

  listen(greeting: TlsGreeting): void {
    this.#greeting = greeting;
    this.#socket.on("data", this.#onData).on("end", this.#onGone).on("error", this.#onGone).on("close", this.#onGone);
  }

  stop(): void {
    this.#socket
      .off("data", this.#onData)
      .off("end", this.#onGone)
      .off("error", this.#onGone)
      .off("close", this.#onGone);
  }

  close(): void {
    this.#socket.destroy();
  }

  plain(): Transport {
    return new NetTransport(this.#socket);
  }

  /** A TLSSocket over the socket, which is paused with the first bytes given back to it. */
  secure(context: tls.SecureContext, first: Buffer, sni: CertificateStore | null, validation: boolean): Transport {
    const socket = this.#socket;
    socket.pause();
    socket.unshift(first);
    const options: tls.TLSSocketOptions = {
      isServer: true,
      secureContext: context,
      ALPNProtocols: validation ? ACME_PROTOCOLS : (this.#endpoint.protocols as string[]),
    };
    if (sni !== null && sni.contexts.length > 1)
      options.SNICallback = (servername, done) => done(null, sni.select(servername));
    const secure = new tls.TLSSocket(socket, options);
    if (!validation) watchHandshake(secure);
    return new NetTransport(secure, { closeNotify: true });
  }
}

/** The handshake's end: 'secure', or an error before it. */
function watchHandshake(secure: tls.TLSSocket): void {
  const failed = (error: unknown): void => handshakeFailed(error);
  secure.once("error", failed);
  secure.once("secure", () => {
    secure.off("error", failed);
    handshakeCompleted(secure);
  });
}
