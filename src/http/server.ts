// An HTTP/1.1 server on node:net: accepts sockets, gives each a Connection, and shuts down
// gracefully (stop accepting, let in-flight responses finish within a grace period, then cut).
// One per worker thread; threads share the port through reusePort (runtime/ decides).

import net from "node:net";
import { Sweeper } from "../common/sweeper.ts";
import { Connection, type ConnectionContext, type EngineOptions } from "./connection.ts";
import type { Handler } from "./handler.ts";

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
  readonly #server: net.Server;
  readonly #connections = new Set<Connection>();
  #idleWaiters: Array<() => void> = [];
  /** Called for each new socket; return false to refuse it (the hook answers the client itself). */
  admit: ((socket: net.Socket) => boolean) | null = null;

  constructor(handler: Handler, options: EngineOptions) {
    this.handler = handler;
    this.options = options;
    this.#server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket));
  }

  #accept(socket: net.Socket): void {
    if (this.closing || (this.admit !== null && !this.admit(socket))) {
      if (!socket.destroyed && this.closing) socket.destroy();
      return;
    }
    this.#connections.add(new Connection(socket, this));
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

  listen(options: ListenOptions): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once("error", onError);
      this.#server.listen(
        { port: options.port, host: options.host, reusePort: options.reusePort ?? false, backlog: options.backlog ?? 511 },
        () => {
          this.#server.off("error", onError);
          resolve(this.#server.address() as net.AddressInfo);
        },
      );
    });
  }

  /** Stops accepting, closes idle connections, lets busy ones finish, and cuts the rest after graceMs. */
  close(graceMs: number): Promise<void> {
    this.closing = true;
    this.#server.close();
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
