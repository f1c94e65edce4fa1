// What a listener does to speak TLS, whichever transport accepts: a connection's first bytes decide
// what it is (TlsGreeting, over TlsEndpoint.greet): a handshake goes on to TLS with the context they
// chose and its Transport to the server, a plain HTTP request gets a 400 saying the port speaks
// HTTPS (as nginx does), a TLS-ALPN-01 validation (RFC 8737) gets its certificate and nothing else,
// anything else is closed; the wait is bounded on the server's sweeper. And the one place where a
// handshake's end is observed (handshakeCompleted, handshakeFailed). Not here: what each transport
// does with the connection (GreetedConnection: uv-tls-accept.ts on the handles, net-tls-accept.ts on
// node:tls), choosing certificates (tls/).

import { Buffer } from "node:buffer";
import type tls from "node:tls";
import { loopNow } from "../common/clock.ts";
import type { Sweepable, Sweeper } from "../common/sweeper.ts";
import type { CertificateStore } from "../tls/certificate-store.ts";
import { handshakeChannel, publishHandshake, publishHandshakeFailure } from "../tls/handshake-events.ts";
import {
  GREET_PLAIN_HTTP,
  GREET_TLS,
  GREET_TLS_SNI_CALLBACK,
  GREET_VALIDATION,
  GREET_WAIT,
  type TlsEndpoint,
} from "../tls/endpoint.ts";
import type { Transport, TransportOwner } from "./transport.ts";

/** Who takes what an accepted TLS connection becomes: a Transport reading cleartext, or nothing. */
export interface TlsAcceptor {
  /**
   * A connection arrived: false refuses it (the listener closes it at once); true promises exactly
   * one later accept() or abandoned() for it.
   */
  arrived(): boolean;
  accept(transport: Transport): void;
  /** The connection ended before it became one (closed, timed out, plain HTTP, an ACME validation). */
  abandoned(): void;
}

/** ListenerOptions.tls: with it, every accepted connection is greeted as TLS. */
export interface TlsListening {
  readonly endpoint: TlsEndpoint;
  readonly acceptor: TlsAcceptor;
  /** Bounds the wait for a connection's first bytes (deadline = now + timeoutMs). */
  readonly sweeper: Sweeper;
  readonly timeoutMs: number;
}

/** A connection being greeted, as one transport carries it. */
export interface GreetedConnection {
  /** The greeting reads no more: the connection is free for what comes next. */
  stop(): void;
  /** Closes the connection as it is. */
  close(): void;
  /** The connection as it is, as a Transport (for the answer to plain HTTP). */
  plain(): Transport;
  /**
   * TLS over the connection with `context` (with `sni`, the context is chosen by name in a callback
   * instead), offering the endpoint's ALPN ids, or only acme-tls/1 for a `validation`. `first`, the
   * bytes read so far, reach OpenSSL first, once the Transport starts; a served connection's
   * handshake ends in handshakeCompleted or handshakeFailed.
   */
  secure(context: tls.SecureContext, first: Buffer, sni: CertificateStore | null, validation: boolean): Transport;
}

/** A connection's handshake is done (not a validation's): the one place that sees them all. */
export function handshakeCompleted(connection: { isSessionReused(): boolean }): void {
  if (handshakeChannel.hasSubscribers) publishHandshake(connection.isSessionReused());
}

/** A connection's handshake failed (an alert, a protocol error): the one place that sees them all. */
export function handshakeFailed(error: unknown): void {
  publishHandshakeFailure(error);
}

const PLAIN_HTTP_BODY = "400 Bad Request: this port speaks HTTPS; the request was sent as plain HTTP\n";
/** The answer to a plain HTTP request on the TLS port. */
export const PLAIN_HTTP_RESPONSE =
  "HTTP/1.1 400 Bad Request\r\nServer: portico\r\nContent-Type: text/plain; charset=utf-8\r\n" +
  `Content-Length: ${PLAIN_HTTP_BODY.length}\r\nConnection: close\r\n\r\n${PLAIN_HTTP_BODY}`;
/** How long a refused connection may linger before it is cut. */
const LINGER_MS = 2000;
/** How long a TLS-ALPN-01 validation connection may last (RFC 8737: it only shakes hands). */
const VALIDATION_MS = 10_000;

/**
 * One connection before TLS: its first bytes, kept only when a ClientHello must be read whole. Hands
 * a Transport reading cleartext to the acceptor, or tells it the connection was abandoned: exactly
 * one of the two, after its arrived() said yes.
 */
export class TlsGreeting implements Sweepable {
  deadline: number;
  readonly #conn: GreetedConnection;
  readonly #listening: TlsListening;
  #pending: Buffer | null = null;
  #done = false;

  constructor(conn: GreetedConnection, listening: TlsListening) {
    this.#conn = conn;
    this.#listening = listening;
    this.deadline = loopNow() + listening.timeoutMs;
    listening.sweeper.add(this);
  }

  /** The connection's next bytes; `reused`: a view of a buffer that is read into again, copied if kept. */
  received(chunk: Buffer, reused: boolean): void {
    if (this.#done) return;
    const pending = this.#pending;
    const bytes = pending === null ? chunk : Buffer.concat([pending, chunk]);
    const endpoint = this.#listening.endpoint;
    const greeting = endpoint.greet(bytes);
    switch (greeting.verdict) {
      case GREET_WAIT:
        this.#pending = pending === null && reused ? Buffer.from(bytes) : bytes;
        return;
      case GREET_PLAIN_HTTP:
        this.#refusePlainHttp();
        return;
      case GREET_TLS:
        this.#handshake(greeting.context, bytes, null);
        return;
      case GREET_TLS_SNI_CALLBACK:
        this.#handshake(greeting.context, bytes, endpoint.store);
        return;
      case GREET_VALIDATION:
        this.#answerValidation(greeting.context, bytes);
        return;
      default:
        this.close();
    }
  }

  #handshake(context: tls.SecureContext, first: Buffer, sni: CertificateStore | null): void {
    this.#finish();
    this.#listening.acceptor.accept(this.#conn.secure(context, first, sni, false));
  }

  /** RFC 8737 §3: the validation certificate, ALPN "acme-tls/1", and nothing else on the connection. */
  #answerValidation(context: tls.SecureContext, first: Buffer): void {
    this.#finish();
    const transport = this.#conn.secure(context, first, null, true);
    transport.start(lingering(transport, VALIDATION_MS));
    this.#listening.acceptor.abandoned();
  }

  /** A plain HTTP request on the TLS port: a 400 that says so, then FIN. */
  #refusePlainHttp(): void {
    this.#finish();
    const transport = this.#conn.plain();
    transport.start(lingering(transport, LINGER_MS));
    transport.write(PLAIN_HTTP_RESPONSE);
    transport.end();
    this.#listening.acceptor.abandoned();
  }

  #finish(): void {
    this.#done = true;
    this.#pending = null;
    this.#listening.sweeper.delete(this);
    this.#conn.stop();
  }

  onDeadline(): void {
    this.close();
  }

  /** The connection ended, failed or timed out before its first bytes decided anything. */
  close(): void {
    if (this.#done) return;
    this.#finish();
    this.#conn.close();
    this.#listening.acceptor.abandoned();
  }
}

const noop = (): void => {};

/** An owner that reads and drops input, ends on the peer's FIN, and cuts the connection after `ms`. */
function lingering(transport: Transport, ms: number): TransportOwner {
  const timer = setTimeout(() => transport.destroy(), ms);
  timer.unref();
  return {
    received: noop,
    peerEnded: () => transport.closeAfterWrites(),
    drained: noop,
    closed: () => clearTimeout(timer),
  };
}
