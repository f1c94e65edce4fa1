// The listening side of the handle transport: binds a TCP handle (IPv6 with IPv4 fallback, names
// looked up first, SO_REUSEPORT for several threads on one port), listens, and turns each accepted
// handle into a UvTransport, or, on a TLS listener, greets it as TLS first (uv-tls-accept.ts).
// Not here: the net.Server equivalent (net-listener.ts).

import net from "node:net";
import { getSystemErrorName } from "node:util";
import { type AcceptErrorMessage, acceptErrorChannel } from "./events.ts";
import type { BoundAddress, Listener, ListenerOptions, Transport } from "./transport.ts";
import { type PeerInfo, type TcpHandle, tcpWrap } from "./uv-binding.ts";
import { UvTransport } from "./uv-transport.ts";

/**
 * A failed accept: out of descriptors, libuv accepts and closes the waiting connections on a descriptor
 * it keeps in reserve (so the listener neither spins nor stops), then goes on. Published for the notices.
 */
function acceptFailed(status: number): void {
  if (status !== 0 && acceptErrorChannel.hasSubscribers)
    acceptErrorChannel.publish({ code: getSystemErrorName(status) } satisfies AcceptErrorMessage);
}

/** An error from a handle call, shaped like Node's own (code "EADDRINUSE", syscall "listen"). */
function handleError(err: number, syscall: string, address: string, port: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(err);
  const error: NodeJS.ErrnoException = new Error(`${syscall} ${code}: ${address}:${port}`);
  error.code = code;
  error.errno = err;
  error.syscall = syscall;
  return error;
}

/** Binds and listens on a TCP handle; each accepted connection becomes a UvTransport passed to `accept`. */
export async function listenUv(options: ListenerOptions, accept: (transport: Transport) => void): Promise<Listener> {
  const flags = options.reusePort === true ? tcpWrap.constants.UV_TCP_REUSEPORT : 0;
  // node:tls loads with a thread's first TLS listener: a thread serving plain HTTP never has it.
  const acceptUvTls = options.tls === undefined ? null : (await import("./uv-tls-accept.ts")).acceptUvTls;
  let address = options.host;
  if (address !== undefined && address !== "" && net.isIP(address) === 0) {
    address = (await process.getBuiltinModule("node:dns/promises").lookup(address)).address;
  }
  let handle = new tcpWrap.TCP(tcpWrap.constants.SERVER);
  let err: number;
  if (address === undefined || address === "") {
    err = handle.bind6("::", options.port, flags);
    address = "::";
    if (err !== 0) {
      // No IPv6 on this system: every IPv4 address instead.
      handle.close();
      handle = new tcpWrap.TCP(tcpWrap.constants.SERVER);
      address = "0.0.0.0";
      err = handle.bind(address, options.port, flags);
    }
  } else {
    err =
      net.isIP(address) === 6 ? handle.bind6(address, options.port, flags) : handle.bind(address, options.port, flags);
  }
  if (err === 0) err = handle.listen(options.backlog ?? 511);
  if (err !== 0) {
    handle.close();
    throw handleError(err, "listen", address, options.port);
  }
  const tls = options.tls;
  handle.onconnection =
    tls === undefined
      ? (status, client) => {
          if (status !== 0 || client === undefined) return acceptFailed(status);
          accept(new UvTransport(client));
        }
      : (status, client) => {
          if (status !== 0 || client === undefined) return acceptFailed(status);
          if (tls.acceptor.arrived()) acceptUvTls!(client, tls);
          else client.close();
        };
  return new UvListener(handle);
}

class UvListener implements Listener {
  readonly #handle: TcpHandle;
  #closed = false;

  constructor(handle: TcpHandle) {
    this.#handle = handle;
  }

  address(): BoundAddress {
    const out: PeerInfo = {};
    this.#handle.getsockname(out);
    return { address: out.address ?? "", family: out.family ?? "", port: out.port ?? 0 };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handle.onconnection = () => {};
    this.#handle.close();
  }
}
