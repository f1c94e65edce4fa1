// The listening side of the node:net transport: a net.Server (IPv6 with IPv4 fallback and names
// looked up as net does, SO_REUSEPORT for several threads on one port), each accepted socket a
// NetTransport, or, on a TLS listener, greeted as TLS first (net-tls-accept.ts).
// Not here: the handle equivalent (uv-listener.ts).

import net from "node:net";
import { type AcceptErrorMessage, acceptErrorChannel } from "./events.ts";
import { NET_HIGH_WATER, NetTransport } from "./net-transport.ts";
import type { BoundAddress, Listener, ListenerOptions, Transport } from "./transport.ts";

/** Listens on a net.Server; each accepted connection becomes a NetTransport passed to `accept`. */
export async function listenNet(options: ListenerOptions, accept: (transport: Transport) => void): Promise<Listener> {
  const tls = options.tls;
  // node:tls loads with a thread's first TLS listener: a thread serving plain HTTP never has it.
  const acceptNetTls = tls === undefined ? null : (await import("./net-tls-accept.ts")).acceptNetTls;
  const server = net.createServer(
    { allowHalfOpen: true, noDelay: true, highWaterMark: NET_HIGH_WATER },
    tls === undefined
      ? (socket) => accept(new NetTransport(socket))
      : (socket) => {
          if (tls.acceptor.arrived()) acceptNetTls!(socket, tls);
          else socket.destroy();
        },
  );
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(
      {
        port: options.port,
        host: options.host === "" ? undefined : options.host,
        reusePort: options.reusePort === true,
        backlog: options.backlog ?? 511,
      },
      () => {
        server.off("error", reject);
        // A failed accept (EMFILE and the like) is reported here; libuv tries again on the next
        // readiness, as with the handle listener, and one refused connection must not end the thread.
        server.on("error", (error: NodeJS.ErrnoException) => {
          if (acceptErrorChannel.hasSubscribers)
            acceptErrorChannel.publish({ code: error.code ?? "" } satisfies AcceptErrorMessage);
        });
        resolve(new NetListener(server));
      },
    );
  });
}

class NetListener implements Listener {
  readonly #server: net.Server;
  #closed = false;

  constructor(server: net.Server) {
    this.#server = server;
  }

  address(): BoundAddress {
    const address = this.#server.address();
    if (address === null || typeof address === "string") return { address: "", family: "", port: 0 };
    return { address: address.address, family: address.family, port: address.port };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Stops accepting; net.Server.close() leaves the connections already accepted alone.
    this.#server.close();
  }
}
