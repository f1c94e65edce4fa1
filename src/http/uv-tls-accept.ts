// TLS termination on the handle transport: an accepted TCP handle reads its first bytes for the
// greeting (tls-listen.ts), and a handshake gets Node's TLSWrap (the OpenSSL stream lib/_tls_wrap.js
// puts under tls.TLSSocket) straight on the handle; a UvTransport then reads cleartext from the
// TLSWrap into the thread's read area as it reads a TCP handle: no net.Socket and no TLSSocket.
// Under callgrind, 1 KiB keep-alive responses cost 31.0k instructions each this way and 43.0k
// through tls.TLSSocket (docs/architecture.md). Not here: what the first bytes mean (tls-listen.ts),
// the same on node:net (net-tls-accept.ts), choosing certificates (tls/), HTTP.

import { Buffer } from "node:buffer";
import type tls from "node:tls";
import type { CertificateStore } from "../tls/certificate-store.ts";
import type { TlsEndpoint } from "../tls/endpoint.ts";
import { READ_AREA, readView } from "./arena.ts";
import {
  type GreetedConnection,
  handshakeCompleted,
  handshakeFailed,
  TlsGreeting,
  type TlsListening,
} from "./tls-listen.ts";
import type { Transport, TransportOwner } from "./transport.ts";
import {
  K_NREAD,
  loadTlsWrap,
  type ShutdownReq,
  state,
  type TcpHandle,
  type TlsWrapHandle,
  tlsWrap,
} from "./uv-binding.ts";
import { onHandleClosed, UvTransport } from "./uv-transport.ts";

/**
 * The engine's Transport over a TLSWrap, with the close made TLS-correct: close_notify goes out
 * before the FIN (RFC 8446 §6.1), or clients see an EOF without it, which OpenSSL treats as an error
 * that also makes the session non-resumable. So closing after the last response always goes
 * through end(), and the shutdown that end() asks for waits until every write has completed:
 * OpenSSL queues close_notify behind a write still in flight, and a FIN sent meanwhile would
 * overtake it (TLSWrap writes complete asynchronously; net.Socket waits for them the same way).
 */
class TlsTransport extends UvTransport {
  readonly #wrap: ServerWrap;
  /** The bytes the greeting read, for OpenSSL once the owner is in place (start). */
  #first: Buffer | null;
  #waiting = false;
  #endWanted = false;
  #endAfter: (() => void) | null = null;

  constructor(wrap: ServerWrap, first: Buffer) {
    super(wrap as unknown as TcpHandle);
    this.#wrap = wrap;
    this.#first = first;
    wrap.pendingShutdown = null;
    wrap.shutdown = shutdownAfterWrites;
  }

  override start(owner: TransportOwner): void {
    super.start(owner);
    const first = this.#first;
    if (first === null) return;
    this.#first = null;
    this.#wrap.receive(first);
  }

  /**
   * Frees the connection's OpenSSL state (SSL object, its buffers, keys) as soon as the handle is
   * closed, as tls.TLSSocket does on close: left to the collector, each closed connection kept its
   * TLSWrap and SSL alive until a full collection found them, and new connections then cost a major
   * collection every ~150 handshakes (20% of the CPU per new connection, bench https-new-conn).
   */
  protected override released(): void {
    this.#wrap.transport = null;
    this.#wrap.destroySSL();
  }

  /**
   * Closes the TCP handle under the TLSWrap with the shared close callback (uv-transport.ts's
   * onHandleClosed, which finds this transport on it): _tls_wrap.js's TLSWrap close would wrap the
   * callback in a closure of its own, kept on the TCP handle object until a full collection.
   */
  protected override closeHandle(): void {
    const parent = this.#wrap._parent;
    parent.transport = this;
    parent.close(onHandleClosed);
  }

  override closeAfterWrites(): void {
    if (!this.destroyed) this.end(() => this.destroy());
  }

  /**
   * TLSWrap takes one write at a time (a second while one is in flight fails a native assertion and
   * ends the process): later writes are corked until it completes, then go out together.
   */
  override write(data: Buffer | string): boolean {
    if (!this.#waiting && this.writesInFlight > 0) {
      this.#waiting = true;
      this.cork();
    }
    return super.write(data);
  }

  override end(callback?: () => void): void {
    if (this.#waiting) {
      this.#endAfter = callback ?? null;
      this.#endWanted = true;
      return;
    }
    super.end(callback);
  }

  override writeCompleted(status: number): void {
    super.writeCompleted(status);
    if (this.#waiting && this.writesInFlight === 0 && !this.destroyed) {
      this.#waiting = false;
      this.uncork();
      if (this.#endWanted && !this.#waiting) {
        this.#endWanted = false;
        const after = this.#endAfter;
        this.#endAfter = null;
        super.end(after ?? undefined);
      }
    }
    const wrap = this.#wrap;
    const req = wrap.pendingShutdown;
    if (req === null || !this.flushed || this.destroyed) return;
    wrap.pendingShutdown = null;
    if (tlsWrap!.TLSWrap.prototype.shutdown.call(wrap, req) !== 0) this.destroy();
  }
}

/** TLSWrap's shutdown, held back while a write is in flight (TlsTransport.writeCompleted issues it). */
function shutdownAfterWrites(this: TlsWrapHandle, req: ShutdownReq): number {
  const wrap = this as ServerWrap;
  if (wrap.transport !== null && !wrap.transport.flushed) {
    wrap.pendingShutdown = req;
    return 0;
  }
  return tlsWrap!.TLSWrap.prototype.shutdown.call(this, req);
}

/**
 * Whether this thread can drive TLSWrap itself (the handle bindings load, tls_wrap has the shape
 * needed); where not, a TLS listener accepts on node:net instead (transport.ts).
 */
export function canWrapTls(): boolean {
  return loadTlsWrap() !== null;
}

interface GreetingHandle extends TcpHandle {
  greeting: TlsGreeting | null;
}

interface ServerWrap extends TlsWrapHandle {
  store: CertificateStore;
  /** A shutdown asked for while writes were in flight (TlsTransport). */
  pendingShutdown: ShutdownReq | null;
  /** The handshake completed (TLS 1.3 servers may report it again for their tickets). */
  established: boolean;
}

const noop = (): void => {};

function onGreetingRead(this: TcpHandle): void {
  const greeting = (this as GreetingHandle).greeting;
  if (greeting === null) return;
  const n = state[K_NREAD]!;
  if (n > 0) greeting.received(readView(n), true);
  else greeting.close();
}

/** SNI (RFC 6066 §3): the store's context for the name the client asked for; OpenSSL switches to it. */
function onCertificate(this: TlsWrapHandle, info: { servername?: string }): void {
  this.sni_context = (this as ServerWrap).store.select(info.servername).context;
  this.certCbDone();
}

function onHandshakeDone(this: TlsWrapHandle): void {
  const wrap = this as ServerWrap;
  if (wrap.established) return;
  wrap.established = true;
  handshakeCompleted(wrap);
}

/** A failed handshake or a TLS alert: the connection is over (the owner hears closed()). */
function onTlsError(this: TlsWrapHandle, error: unknown): void {
  if ((this as ServerWrap).established === false) handshakeFailed(error);
  const transport = this.transport;
  if (transport !== null) transport.destroy();
  else this._parent.close();
}

/**
 * Takes an accepted handle and greets it (tls-listen.ts): once its first bytes show a TLS
 * handshake, the acceptor gets a Transport reading cleartext, else hears it was abandoned.
 */
export function acceptUvTls(handle: TcpHandle, listening: TlsListening): void {
  const h = handle as GreetingHandle;
  const greeting = new TlsGreeting(new GreetedHandle(h, listening.endpoint), listening);
  h.greeting = greeting;
  h.useUserBuffer(READ_AREA);
  h.onread = onGreetingRead;
  if (h.readStart() !== 0) greeting.close();
}

/** An accepted handle during its greeting, and what becomes of it. */
class GreetedHandle implements GreetedConnection {
  readonly #handle: GreetingHandle;
  readonly #endpoint: TlsEndpoint;

  constructor(handle: GreetingHandle, endpoint: TlsEndpoint) {
    this.#handle = handle;
    this.#endpoint = endpoint;
  }

  stop(): void {
    const handle = this.#handle;
    handle.greeting = null;
    handle.readStop();
    handle.onread = noop;
  }

  close(): void {
    this.#handle.close();
  }

  plain(): Transport {
    return new UvTransport(this.#handle);
  }

  /**
   * TLSWrap on the handle. onhandshakestart stays unset: TLSWrap calls it only when it is a function,
   * and nothing here needs it (renegotiation, which tls.TLSSocket counts through it, is off).
   */
  secure(context: tls.SecureContext, first: Buffer, sni: CertificateStore | null, validation: boolean): Transport {
    const handle = this.#handle;
    const wrap = tlsWrap!.wrap(handle, context.context, true, false) as ServerWrap;
    wrap._parent = handle;
    wrap.onerror = onTlsError;
    wrap.established = validation;
    if (!validation) wrap.onhandshakedone = onHandshakeDone;
    if (sni !== null && sni.contexts.length > 1) {
      wrap.store = sni;
      wrap.oncertcb = onCertificate;
      wrap.enableCertCb();
    }
    wrap.setALPNProtocols(validation ? this.#endpoint.acmeAlpn : this.#endpoint.alpn);
    // `first` may be a view of the read area, which OpenSSL's cleartext is read into: a copy.
    return new TlsTransport(wrap, Buffer.from(first));
  }
}
