// An HTTP/1.1 server on the thread's transport (transport.ts): accepts connections, gives each a
// Connection, takes a new handler and options in place (a reload: the listening socket stays, so no
// queued connection is lost), and shuts down gracefully (stop accepting, let in-flight responses
// finish within a grace period, then cut).
// One per worker thread and listener; threads share the port through reusePort (runtime/ decides).

import { Sweeper } from "../common/sweeper.ts";
import { Connection } from "./connection.ts";
import type { ConnectionContext, ServerConnection } from "./connection-context.ts";
import type { EngineOptions } from "./engine-options.ts";
import type { TlsEndpoint } from "../tls/endpoint.ts";
import type { Handler } from "./handler.ts";
import type { Response } from "./response.ts";
import type { TlsAcceptor } from "./tls-listen.ts";
import { type BoundAddress, type Listener, openListener, type Transport } from "./transport.ts";

export interface ListenOptions {
  readonly port: number;
  readonly host?: string;
  /** Several listeners (threads) on one port, balanced by the kernel (Linux SO_REUSEPORT). */
  readonly reusePort?: boolean;
  readonly backlog?: number;
  /** Speak TLS with these certificates (tls-listen.ts; uv-tls-accept.ts or net-tls-accept.ts by transport). */
  readonly tls?: TlsEndpoint;
}

const HTTP1_PROTOCOLS: readonly string[] = ["http/1.1", "http/1.0"];
const ALL_PROTOCOLS: readonly string[] = ["h2", ...HTTP1_PROTOCOLS];

export class HttpServer implements ConnectionContext, TlsAcceptor {
  options: EngineOptions;
  handler: Handler;
  readonly sweeper = new Sweeper(250);
  closing = false;
  #listener: Listener | null = null;
  #address: BoundAddress | null = null;
  readonly #connections = new Set<ServerConnection>();
  #idleWaiters: Array<() => void> = [];
  /** TLS connections accepted and still in their greeting (tls-listen.ts): close() waits for them too. */
  #greetings = 0;
  /** Called for each new connection; return false to refuse it (the hook answers the client itself). */
  admit: ((transport: Transport) => boolean) | null = null;
  /**
   * The HTTP/2 engine, set by whoever builds the server (the engine lives in h2/, above http/); null:
   * HTTP/1.x only. With it, TLS listeners offer ALPN "h2" (RFC 9113 §3.2) and a connection whose first
   * cleartext bytes are the preface becomes an HTTP/2 session.
   */
  h2: ((transport: Transport, received: Buffer, ctx: ConnectionContext) => ServerConnection) | null = null;
  /** HTTP/2 with prior knowledge on plain listeners too (--h2c, RFC 9113 §3.3). */
  h2c = false;
  readonly #upgradeToH2 = (from: ServerConnection, transport: Transport, received: Buffer): void => {
    this.#connections.delete(from);
    this.#connections.add(this.h2!(transport, received, this));
  };

  get upgradeToH2(): ConnectionContext["upgradeToH2"] {
    return this.h2 === null ? undefined : this.#upgradeToH2;
  }

  /**
   * The ALPN ids this server speaks over TLS, preferred first: h2 when the engine is there, HTTP/1.1,
   * and HTTP/1.0, which the engine serves too (nginx offers both; a client that offers only
   * "http/1.0", such as curl --http1.0, would otherwise get a no_application_protocol alert, RFC 7301
   * §3.2).
   */
  get protocols(): readonly string[] {
    return this.h2 === null ? HTTP1_PROTOCOLS : ALL_PROTOCOLS;
  }

  constructor(handler: Handler, options: EngineOptions) {
    this.handler = handler;
    this.options = options;
  }

  #accept(transport: Transport): void {
    if (this.closing) {
      transport.destroy();
      return;
    }
    if (this.admit !== null && !this.admit(transport)) return;
    this.#connections.add(new Connection(transport, this, this.h2c));
  }

  /** A TLS connection arrived: refused once closing began, else counted until it becomes one or ends. */
  arrived(): boolean {
    if (this.closing) return false;
    this.#greetings++;
    return true;
  }

  /** A TLS greeting became a connection: accepted before closing began, so it is served even now. */
  accept(transport: Transport): void {
    this.#greetings--;
    if (this.admit !== null && !this.admit(transport)) this.#settle();
    else this.#connections.add(new Connection(transport, this, true));
  }

  /** A TLS greeting ended without a connection (closed, timed out, refused as plain HTTP). */
  abandoned(): void {
    this.#greetings--;
    this.#settle();
  }

  connectionClosed(connection: ServerConnection): void {
    this.#connections.delete(connection);
    this.#settle();
  }

  #settle(): void {
    if (this.#connections.size === 0 && this.#greetings === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  async listen(options: ListenOptions): Promise<BoundAddress> {
    const { tls, ...plain } = options;
    const accept = (transport: Transport): void => this.#accept(transport);
    if (tls === undefined) this.#listener = await openListener(plain, accept);
    else {
      tls.setProtocols(this.protocols);
      const listening = {
        endpoint: tls,
        acceptor: this,
        sweeper: this.sweeper,
        timeoutMs: this.options.headersTimeoutMs,
      };
      this.#listener = await openListener({ ...plain, tls: listening }, accept);
    }
    this.#address = this.#listener.address();
    return this.#address;
  }

  /** Where the server listens, once it does. */
  get address(): BoundAddress | null {
    return this.#address;
  }

  /**
   * A new configuration, in place: requests that start from now on go to `handler`; each connection
   * takes `options` before its next request. Requests already started finish with what they have.
   */
  reconfigure(handler: Handler, options: EngineOptions): void {
    this.handler = handler;
    this.options = options;
  }

  /** The responses being answered now (for a reload to know when the old handlers are done). */
  responsesInFlight(): Response[] {
    const out: Response[] = [];
    for (const c of this.#connections) c.collectResponses(out);
    return out;
  }

  /** Stops accepting, closes idle connections, lets busy ones finish, and cuts the rest after graceMs. */
  close(graceMs: number): Promise<void> {
    this.closing = true;
    this.#listener?.close();
    for (const c of this.#connections) c.drain();
    if (this.#connections.size === 0 && this.#greetings === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const c of this.#connections) c.destroy();
        resolve();
      }, graceMs);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
