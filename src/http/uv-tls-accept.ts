// TLS termination on the handle transport: an accepted TCP handle waits for its first bytes, which
// decide what it is. A TLS handshake gets Node's TLSWrap (the OpenSSL stream lib/_tls_wrap.js puts
// under tls.TLSSocket) straight on the handle, and a UvTransport then reads cleartext from the
// TLSWrap into the thread's read area as it reads a TCP handle: no net.Socket and no TLSSocket. Under callgrind, 1 KiB keep-alive responses cost 31.0k instructions each this way and
// 43.0k through tls.TLSSocket (docs/architecture.md). A plain HTTP request gets a 400 saying so (as
// nginx does) instead of a TLS alert; a TLS-ALPN-01 validation (RFC 8737) gets its certificate.
// Not here: the same on node:net (net-tls-accept.ts), choosing certificates (tls/), HTTP.

import { Buffer } from "node:buffer";
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
import { watchWrapHandshake } from "../tls/handshake-events.ts";
import { READ_AREA, readView } from "./arena.ts";
import {
  LINGER_MS,
  lingering,
  PLAIN_HTTP_RESPONSE,
  type TlsAcceptor,
  type TlsListening,
  VALIDATION_MS,
} from "./tls-listen.ts";
import {
  K_NREAD,
  loadUvBinding,
  type ShutdownReq,
  state,
  type TcpHandle,
  type TlsWrapHandle,
  tlsWrap,
} from "./uv-binding.ts";
import { UvTransport } from "./uv-transport.ts";

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
  #waiting = false;
  #endWanted = false;
  #endAfter: (() => void) | null = null;

  constructor(wrap: ServerWrap) {
    super(wrap as unknown as TcpHandle);
    this.#wrap = wrap;
    wrap.pendingShutdown = null;
    wrap.shutdown = shutdownAfterWrites;
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
  return loadUvBinding() === "" && tlsWrap !== null;
}

interface GreetingHandle extends TcpHandle {
  greeting: TlsGreeting | null;
}

interface ServerWrap extends TlsWrapHandle {
  store: CertificateStore;
  /** A shutdown asked for while writes were in flight (TlsTransport). */
  pendingShutdown: ShutdownReq | null;
}

const noop = (): void => {};

function onGreetingRead(this: TcpHandle): void {
  const greeting = (this as GreetingHandle).greeting;
  if (greeting === null) return;
  const n = state[K_NREAD]!;
  if (n > 0) greeting.received(readView(n));
  else greeting.close();
}

/** SNI (RFC 6066 §3): the store's context for the name the client asked for; OpenSSL switches to it. */
function onCertificate(this: TlsWrapHandle, info: { servername?: string }): void {
  this.sni_context = (this as ServerWrap).store.select(info.servername).context;
  this.certCbDone();
}

/** A failed handshake or a TLS alert: the connection is over (the owner hears closed()). */
function onTlsError(this: TlsWrapHandle): void {
  const transport = this.transport;
  if (transport !== null) transport.destroy();
  else this._parent.close();
}

/**
 * Takes an accepted handle and, once its first bytes show a TLS handshake, hands a Transport
 * reading cleartext to the acceptor; otherwise tells it the connection was abandoned (exactly one of
 * the two, after its arrived() said yes). `tls.timeoutMs` bounds the wait for those bytes.
 */
export function acceptUvTls(handle: TcpHandle, tls: TlsListening): void {
  const sweeper = tls.sweeper;
  const greeting = new TlsGreeting(handle as GreetingHandle, tls.endpoint, tls.acceptor, sweeper);
  greeting.deadline = loopNow() + tls.timeoutMs;
  sweeper.add(greeting);
  const h = handle as GreetingHandle;
  h.greeting = greeting;
  h.useUserBuffer(READ_AREA);
  h.onread = onGreetingRead;
  if (h.readStart() !== 0) greeting.close();
}

/** One connection before TLS: its first bytes, kept only when a ClientHello must be read whole. */
class TlsGreeting implements Sweepable {
  deadline = 0;
  readonly #handle: GreetingHandle;
  readonly #endpoint: TlsEndpoint;
  readonly #acceptor: TlsAcceptor;
  readonly #sweeper: Sweeper;
  #pending: Buffer | null = null;

  constructor(handle: GreetingHandle, endpoint: TlsEndpoint, acceptor: TlsAcceptor, sweeper: Sweeper) {
    this.#handle = handle;
    this.#endpoint = endpoint;
    this.#acceptor = acceptor;
    this.#sweeper = sweeper;
  }

  received(view: Buffer): void {
    let bytes = view;
    if (this.#pending !== null) bytes = this.#pending = Buffer.concat([this.#pending, view]);
    const endpoint = this.#endpoint;
    const greeting = endpoint.greet(bytes);
    switch (greeting.verdict) {
      case GREET_WAIT:
        if (this.#pending === null) this.#pending = Buffer.from(bytes);
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
   * The handshake proper: TLSWrap on the handle with `context`, the Transport to the server, the
   * first bytes in. With `sni`, the certificate callback picks the context by SNI instead.
   */
  #wrap(context: { context: unknown }, first: Buffer, sni: CertificateStore | null): void {
    const wrap = this.#detach(context.context) as ServerWrap;
    if (sni !== null && sni.contexts.length > 1) {
      wrap.store = sni;
      wrap.oncertcb = onCertificate;
      wrap.enableCertCb();
    }
    wrap.setALPNProtocols(this.#endpoint.alpn);
    this.#acceptor.accept(new TlsTransport(wrap));
    wrap.receive(first);
  }

  /** RFC 8737 §3: the validation certificate, ALPN "acme-tls/1", and nothing else on the connection. */
  #answerValidation(context: { context: unknown }, first: Buffer): void {
    const wrap = this.#detach(context.context);
    wrap.setALPNProtocols(this.#endpoint.acmeAlpn);
    const transport = new TlsTransport(wrap as ServerWrap);
    transport.start(lingering(transport, VALIDATION_MS));
    this.#acceptor.abandoned();
    wrap.receive(first);
  }

  /** Stops the greeting and puts a TLSWrap over the handle. */
  #detach(context: unknown): TlsWrapHandle {
    const handle = this.#handle;
    this.#finish();
    const wrap = tlsWrap!.wrap(handle, context, true, false);
    wrap._parent = handle;
    // onhandshakestart/onhandshakedone stay unset: TLSWrap calls them only when they are functions,
    // and nothing here needs them (renegotiation, which tls.TLSSocket counts through them, is off).
    wrap.onerror = onTlsError;
    watchWrapHandshake(wrap);
    return wrap;
  }

  /** A plain HTTP request on the TLS port: a 400 that says so, then FIN. */
  #refusePlainHttp(): void {
    this.#finish();
    const transport = new UvTransport(this.#handle);
    transport.start(lingering(transport, LINGER_MS));
    transport.write(PLAIN_HTTP_RESPONSE);
    transport.end();
    this.#acceptor.abandoned();
  }

  #finish(): void {
    const handle = this.#handle;
    this.#sweeper.delete(this);
    this.#pending = null;
    handle.greeting = null;
    handle.readStop();
    handle.onread = noop;
  }

  onDeadline(): void {
    this.close();
  }

  close(): void {
    if (this.#handle.greeting === null) return;
    this.#finish();
    this.#handle.close();
    this.#acceptor.abandoned();
  }
}
