// The socket to an https:// upstream: a node:tls client socket behind the same small interface as
// the engine's TCP Transport, so UpstreamConnection speaks HTTP/1.1 over either. Certificates are
// verified by default (chain and name, RFC 6125 via Node's checkServerIdentity), SNI names the host,
// and a TLS session is kept per upstream so a new connection resumes instead of a full handshake.
// Not here: pooling, timeouts, HTTP (upstream-connection.ts).

import { Buffer } from "node:buffer";
import net from "node:net";
import type tls from "node:tls";
import type { OutputTarget } from "../http/arena.ts";
import type { TransportOwner } from "../http/transport.ts";

/** How https:// upstreams are trusted (one setting for the whole proxy). */
export interface UpstreamTls {
  /** Extra CA certificates (PEM) trusted besides Node's bundled roots; "" for the roots alone. */
  readonly ca: string;
  /** Check the certificate chain and that it names the host; off only when the operator says so. */
  readonly verify: boolean;
}

/** What UpstreamConnection uses of a socket: the engine's Transport (http) or a TlsTransport (https). */
export interface UpstreamSocket extends OutputTarget {
  /** Why the connection failed ("ECONNREFUSED", a TLS verification code…), or "" when it did not. */
  readonly error: string;
  readonly destroyed: boolean;
  write(data: Buffer | string): boolean;
  cork(): void;
  uncork(): void;
  pause(): void;
  resume(): void;
  destroy(): void;
  /** Hands the connection over (after a 101): nothing is heard through the owner afterwards. */
  toSocket(): net.Socket;
}

// Building a context parses every root certificate: once per setting, not per connection.
/** node:tls (and OpenSSL's setup), loaded with the first https:// upstream: ~2 MiB a thread otherwise spent for nothing. */
function tlsModule(): typeof tls {
  return process.getBuiltinModule("node:tls");
}

const contexts = new WeakMap<UpstreamTls, tls.SecureContext>();
function contextFor(settings: UpstreamTls): tls.SecureContext | undefined {
  if (settings.ca === "") return undefined;
  let context = contexts.get(settings);
  if (context === undefined) {
    context = tlsModule().createSecureContext({ ca: [...tlsModule().rootCertificates, settings.ca] });
    contexts.set(settings, context);
  }
  return context;
}

/** The last session each upstream ("host:port") gave this thread, offered again on the next connect. */
const sessions = new Map<string, Buffer>();

/** A TLS client connection to an upstream with the proxy's trust settings (also used by health checks). */
export function connectTls(host: string, port: number, settings: UpstreamTls): tls.TLSSocket {
  return tlsModule().connect({
    host,
    port,
    // RFC 6066 §3: SNI carries host names only, never an address literal.
    ...(net.isIP(host) === 0 ? { servername: host } : {}),
    secureContext: contextFor(settings),
    rejectUnauthorized: settings.verify,
    session: sessions.get(`${host}:${port}`),
    ALPNProtocols: ["http/1.1"],
  });
}

export class TlsTransport implements UpstreamSocket {
  error = "";
  readonly #socket: tls.TLSSocket;
  /** Stops the owner hearing anything (a 101 hands the socket to a tunnel). */
  readonly #unlisten: () => void;

  static connect(host: string, port: number, settings: UpstreamTls, owner: TransportOwner): TlsTransport {
    return new TlsTransport(host, port, settings, owner);
  }

  private constructor(host: string, port: number, settings: UpstreamTls, owner: TransportOwner) {
    const key = `${host}:${port}`;
    const socket = connectTls(host, port, settings);
    socket.setNoDelay(true);
    this.#socket = socket;
    const onSecure = (): void => owner.connected?.();
    const onSession = (session: Buffer): void => void sessions.set(key, session);
    const onData = (chunk: Buffer): void => owner.received(chunk);
    const onEnd = (): void => owner.peerEnded();
    const onDrain = (): void => owner.drained();
    const onError = (error: NodeJS.ErrnoException): void => this.#failed(error);
    const onClose = (): void => owner.closed();
    socket
      .on("secureConnect", onSecure)
      .on("session", onSession)
      .on("data", onData)
      .on("end", onEnd)
      .on("drain", onDrain)
      .on("error", onError)
      .on("close", onClose);
    this.#unlisten = () => {
      socket
        .off("secureConnect", onSecure)
        .off("session", onSession)
        .off("data", onData)
        .off("end", onEnd)
        .off("drain", onDrain)
        .off("error", onError)
        .off("close", onClose);
    };
  }

  get destroyed(): boolean {
    return this.#socket.destroyed;
  }

  /** TLS keeps what it is given until it has encrypted it: never the arena's output area. */
  outputBuffer(n: number): Buffer {
    return Buffer.allocUnsafe(n);
  }

  write(data: Buffer | string): boolean {
    if (this.#socket.destroyed || this.#socket.writableEnded) return false;
    return this.#socket.write(data);
  }

  cork(): void {
    this.#socket.cork();
  }

  uncork(): void {
    this.#socket.uncork();
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  toSocket(): net.Socket {
    const socket = this.#socket;
    socket.pause();
    this.#unlisten();
    return socket;
  }

  #failed(error: NodeJS.ErrnoException): void {
    // A verification failure says why in its message ("self-signed certificate"); errno codes say enough.
    const code = error.code ?? "TLS_ERROR";
    // Node's hint after ";" (about its own --use-system-ca flag) would mislead: --proxy-ca is ours.
    this.error = /^E[A-Z]+$/.test(code) ? code : `${code}: ${error.message.split(";")[0]}`;
    // The owner learns of the failure through closed(), as with the TCP transport.
    if (!this.#socket.destroyed) this.#socket.destroy();
  }
}
