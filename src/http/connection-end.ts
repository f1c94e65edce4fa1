// How an HTTP/1.1 connection ends: gracefully (our FIN after the last response, then the client's
// further bytes read and dropped for a while, so it gets the response rather than a reset; RFC 9112
// §9.6), right after the response when the client announced its last request, or by handing the socket
// over (HTTP/2 prior knowledge, a 101 upgrade); and telling its server. Not here: when (connection.ts).

import type { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import { loopNow } from "../common/clock.ts";
import type { Sweepable } from "../common/sweeper.ts";
import type { ConnectionContext, ServerConnection } from "./connection-context.ts";
import type { EngineOptions } from "./engine-options.ts";
import { connectionCloseChannel } from "./events.ts";
import type { H1Reader } from "./h1-reader.ts";
import type { Transport } from "./transport.ts";

const MAX_LINGER_BYTES = 1 << 20;

/** The connection that ends: its deadline, and what its server knows it as. */
export interface EndHost extends Sweepable, ServerConnection {}

export class ConnectionEnd {
  #lingerBytes = 0;
  #released = false;
  readonly #transport: Transport;
  readonly #reader: H1Reader;
  readonly #host: EndHost;
  readonly #ctx: ConnectionContext;

  constructor(transport: Transport, reader: H1Reader, host: EndHost, ctx: ConnectionContext) {
    this.#transport = transport;
    this.#reader = reader;
    this.#host = host;
    this.#ctx = ctx;
  }

  /** Starts a graceful close: our FIN goes after the response; the client's further bytes are dropped. */
  linger(options: EngineOptions): void {
    const transport = this.#transport;
    this.#reader.clear();
    this.#reader.resume();
    // The linger time starts once the client has taken our last bytes; until then it is a send.
    this.#host.deadline = loopNow() + options.sendTimeoutMs;
    if (this.#reader.ended) {
      transport.end(() => transport.destroy());
    } else {
      transport.end(() => {
        if (!this.#released) this.#host.deadline = loopNow() + options.lingerMs;
      });
    }
  }

  /**
   * The client said this was its last request, nothing of it is unread and every response byte is
   * with the kernel (or held for the end of this turn): the kernel sends them, then FIN. No lingering:
   * a client that announced the end sends nothing more that could turn into a reset.
   */
  closeAfterResponse(options: EngineOptions): void {
    this.#host.deadline = loopNow() + options.sendTimeoutMs;
    this.#transport.closeAfterWrites();
  }

  /** Bytes that came while lingering: dropped, but a client that keeps sending is cut. */
  dropped(bytes: number): void {
    this.#lingerBytes += bytes;
    if (this.#lingerBytes > MAX_LINGER_BYTES) this.#transport.destroy();
  }

  /** The client spoke HTTP/2 from its first byte: the HTTP/2 engine takes the transport over. */
  switchToH2(): void {
    const received = this.#reader.takeRest();
    this.#released = true;
    this.#ctx.sweeper.delete(this.#host);
    this.#ctx.upgradeToH2!(this.#host, this.#transport, received);
  }

  /** Hands the socket to the caller (after a 101), with the bytes received but not consumed. */
  detach(): { socket: Socket; buffered: Buffer } {
    const buffered = this.#reader.takeRest();
    const socket = this.#transport.toSocket();
    this.release();
    return { socket, buffered };
  }

  /** The connection is over (closed or detached): its server and the sweeper forget it. */
  release(): void {
    this.#released = true;
    releaseConnection(this.#host, this.#ctx);
  }
}

/** Its server and the sweeper forget `host`; what a connection that never began to end does as it closes. */
export function releaseConnection(host: EndHost, ctx: ConnectionContext): void {
  ctx.sweeper.delete(host);
  ctx.connectionClosed(host);
  if (connectionCloseChannel.hasSubscribers) connectionCloseChannel.publish({ connection: host });
}
