// An HTTP/1.1 server on the thread's transport (transport.ts): accepts connections, gives each a
// Connection, and shuts down gracefully (stop accepting, let in-flight responses finish within a grace
// period, then cut).
// One per worker thread; threads share the port through reusePort (runtime/ decides).

import { Sweeper } from "../common/sweeper.ts";
import { Connection, type ConnectionContext } from "./connection.ts";
import type { EngineOptions } from "./engine-options.ts";
import type { Handler } from "./handler.ts";
import { type BoundAddress, type Listener, openListener, type Transport } from "./transport.ts";

export interface ListenOptions {
  readonly port: number;
  readonly host?: string;
  /** Several listeners (threads) on one port, balanced by the kernel (Linux SO_REUSEPORT). */
  readonly reusePort?: boolean;
  readonly backlog?: number;
}

export class HttpServer implements ConnectionContext {
  readonly options: EngineOptions;
  readonly handler: Handler;
  readonly sweeper = new Sweeper(250);
  closing = false;
  #listener: Listener | null = null;
  readonly #connections = new Set<Connection>();
  #idleWaiters: Array<() => void> = [];
  /** Called for each new connection; return false to refuse it (the hook answers the client itself). */
  admit: ((transport: Transport) => boolean) | null = null;

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
    this.#connections.add(new Connection(transport, this));
  }

  connectionClosed(connection: Connection): void {
    this.#connections.delete(connection);
    if (this.#connections.size === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  async listen(options: ListenOptions): Promise<BoundAddress> {
    this.#listener = await openListener(options, (transport) => this.#accept(transport));
    return this.#listener.address();
  }

  /** Stops accepting, closes idle connections, lets busy ones finish, and cuts the rest after graceMs. */
  close(graceMs: number): Promise<void> {
    this.closing = true;
    this.#listener?.close();
    for (const c of this.#connections) c.drain();
    if (this.#connections.size === 0) return Promise.resolve();
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
