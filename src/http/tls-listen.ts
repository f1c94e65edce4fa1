// What a listener needs to speak TLS, whichever transport accepts: the endpoint (certificates, ALPN,
// what the first bytes call for), who hears what each connection becomes, and what both transports
// do alike with a connection that is not a handshake (a 400 for plain HTTP, as nginx does) or is only
// an ACME validation. Not here: reading the first bytes and starting TLS (uv-tls-accept.ts on the
// handles, net-tls-accept.ts on node:tls), choosing certificates (tls/).

import type { Sweeper } from "../common/sweeper.ts";
import type { TlsEndpoint } from "../tls/endpoint.ts";
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

const PLAIN_HTTP_BODY = "400 Bad Request: this port speaks HTTPS; the request was sent as plain HTTP\n";
/** The answer to a plain HTTP request on the TLS port. */
export const PLAIN_HTTP_RESPONSE =
  "HTTP/1.1 400 Bad Request\r\nServer: portico\r\nContent-Type: text/plain; charset=utf-8\r\n" +
  `Content-Length: ${PLAIN_HTTP_BODY.length}\r\nConnection: close\r\n\r\n${PLAIN_HTTP_BODY}`;
/** How long a refused connection may linger before it is cut. */
export const LINGER_MS = 2000;
/** How long a TLS-ALPN-01 validation connection may last (RFC 8737: it only shakes hands). */
export const VALIDATION_MS = 10_000;

const noop = (): void => {};

/** An owner that reads and drops input, ends on the peer's FIN, and cuts the connection after `ms`. */
export function lingering(transport: Transport, ms: number): TransportOwner {
  const timer = setTimeout(() => transport.destroy(), ms);
  timer.unref();
  return {
    received: noop,
    peerEnded: () => transport.closeAfterWrites(),
    drained: noop,
    closed: () => clearTimeout(timer),
  };
}
