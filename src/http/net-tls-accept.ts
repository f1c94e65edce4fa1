// TLS termination on the node:net transport, with public APIs only: an accepted net.Socket waits for
// its first bytes, which decide what it is (TlsEndpoint.greet, as on the handles). A TLS handshake
// gets a tls.TLSSocket over the socket with the chosen SecureContext (the same certificate store and
// shared ticket keys as the handle path), the bytes read so far put back with unshift() (TLSSocket
// feeds what its socket has buffered to OpenSSL first), and a NetTransport carries the cleartext.
// A plain HTTP request gets the 400; a TLS-ALPN-01 validation (RFC 8737) gets its certificate.
// Not here: the handle path (uv-tls-accept.ts), choosing certificates (tls/), HTTP.

import { Buffer } from "node:buffer";
import type net from "node:net";
import tls from "node:tls";
import { loopNow } from "../common/clock.ts";
import type { Sweepable, Sweeper } from "../common/sweeper.ts";
import type { CertificateStore } from "../tls/certificate-store.ts";
import {
  GREET_PLAIN_HTTP,
  GREET_TLS,
  GREET_TLS_SNI_CALLBACK,
  GREET_VALIDATION,
  GREET_WAIT,
  type TlsEndpoint,
} from "../tls/endpoint.ts";
import { watchSocketHandshake } from "../tls/handshake-events.ts";
import { ALPN_ACME } from "../tls/settings.ts";
import { NetTransport } from "./net-transport.ts";
import {
  LINGER_MS,
  lingering,
  PLAIN_HTTP_RESPONSE,
  type TlsAcceptor,
  type TlsListening,
  VALIDATION_MS,
} from "./tls-listen.ts";

const ACME_PROTOCOLS = [ALPN_ACME];

/**
 * Takes an accepted socket and, once its first bytes show a TLS handshake, hands a Transport reading
 * cleartext to the acceptor; otherwise tells it the connection was abandoned (exactly one of the two,
 * after its arrived() said yes). `tls.timeoutMs` bounds the wait for those bytes.
 */
export function acceptNetTls(socket: net.Socket, listening: TlsListening): void {
  const greeting = new NetTlsGreeting(socket, listening.endpoint, listening.acceptor, listening.sweeper);
  greeting.deadline = loopNow() + listening.timeoutMs;
  listening.sweeper.add(greeting);
  greeting.start();
}

/** One connection before TLS: its first bytes, kept only when a ClientHello must be read whole. */
class NetTlsGreeting implements Sweepable {
  deadline = 0;
  readonly #socket: net.Socket;
  readonly #endpoint: TlsEndpoint;
  readonly #acceptor: TlsAcceptor;
  readonly #sweeper: Sweeper;
  #pending: Buffer | null = null;
  #done = false;
  readonly #onData = (chunk: Buffer): void => this.#received(chunk);
  readonly #onGone = (): void => this.close();

  constructor(socket: net.Socket, endpoint: TlsEndpoint, acceptor: TlsAcceptor, sweeper: Sweeper) {
    this.#socket = socket;
    this.#endpoint = endpoint;
    this.#acceptor = acceptor;
    this.#sweeper = sweeper;
  }

  start(): void {
    this.#socket.on("data", this.#onData).on("end", this.#onGone).on("error", this.#onGone).on("close", this.#onGone);
  }

  #received(chunk: Buffer): void {
    // The socket's chunks are its own (never reused), so a partial ClientHello is kept as it came.
    const bytes = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]);
    const endpoint = this.#endpoint;
    const greeting = endpoint.greet(bytes);
    switch (greeting.verdict) {
      case GREET_WAIT:
        this.#pending = bytes;
        return;
      case GREET_PLAIN_HTTP:
        this.#refusePlainHttp();
        return;
      case GREET_TLS:
        this.#wrap(greeting.context, bytes, null);
        return;
      case GREET_TLS_SNI_CALLBACK:
        this.#wrap(greeting.context, bytes, endpoint.store);
        return;
      case GREET_VALIDATION:
        this.#answerValidation(greeting.context, bytes);
        return;
      default:
        this.close();
    }
  }

  /**
   * The handshake proper: a TLSSocket over the socket with `context`, the first bytes given back to
   * it, the Transport to the server. With `sni`, Node's SNI callback picks the context by name instead.
   */
  #wrap(context: tls.SecureContext, first: Buffer, sni: CertificateStore | null): void {
    const socket = this.#detach(first);
    const options: tls.TLSSocketOptions = {
      isServer: true,
      secureContext: context,
      ALPNProtocols: this.#endpoint.protocols as string[],
    };
    if (sni !== null && sni.contexts.length > 1)
      options.SNICallback = (servername, done) => done(null, sni.select(servername));
    const secure = new tls.TLSSocket(socket, options);
    watchSocketHandshake(secure);
    this.#acceptor.accept(new NetTransport(secure, { closeNotify: true }));
  }

  /** RFC 8737 §3: the validation certificate, ALPN "acme-tls/1", and nothing else on the connection. */
  #answerValidation(context: tls.SecureContext, first: Buffer): void {
    const socket = this.#detach(first);
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: context, ALPNProtocols: ACME_PROTOCOLS });
    const transport = new NetTransport(secure, { closeNotify: true });
    transport.start(lingering(transport, VALIDATION_MS));
    this.#acceptor.abandoned();
  }

  /** Stops the greeting and gives its bytes back to the socket, paused, for a TLSSocket to read. */
  #detach(first: Buffer): net.Socket {
    const socket = this.#finish();
    socket.pause();
    socket.unshift(first);
    return socket;
  }

  /** A plain HTTP request on the TLS port: a 400 that says so, then FIN. */
  #refusePlainHttp(): void {
    const transport = new NetTransport(this.#finish());
    transport.start(lingering(transport, LINGER_MS));
    transport.write(PLAIN_HTTP_RESPONSE);
    transport.end();
    this.#acceptor.abandoned();
  }

  #finish(): net.Socket {
    const socket = this.#socket;
    this.#done = true;
    this.#sweeper.delete(this);
    this.#pending = null;
    socket.off("data", this.#onData).off("end", this.#onGone).off("error", this.#onGone).off("close", this.#onGone);
    return socket;
  }

  onDeadline(): void {
    this.close();
  }

  close(): void {
    if (this.#done) return;
    this.#finish();
    this.#socket.destroy();
    this.#acceptor.abandoned();
  }
}
