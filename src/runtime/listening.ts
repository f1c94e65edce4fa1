// What the supervisor settles about a configuration before workers bind: the addresses it listens
// on, whether a port is free of other processes, how a failed listen reads, the transport, and whether
// the kernel moves a closing listener's queued connections. No workers here.

import { readFileSync } from "node:fs";
import type { ServerModel, TcpConfig } from "../config/load.ts";
import { TransportError } from "../http/errors.ts";
import { openListener, selectTransport, type TransportChoice } from "../http/transport.ts";

/** Whether the kernel hands a closing listener's queued connections to the others of its port group. */
export function migratesQueuedConnections(): boolean {
  try {
    return readFileSync("/proc/sys/net/ipv4/tcp_migrate_req", "utf8").trim() === "1";
  } catch {
    return false;
  }
}

/** The addresses a configuration listens on, in its order. */
export function listenersOf(config: ServerModel | TcpConfig): readonly { host: string; port: number; name: string }[] {
  if (config.kind === "tcp")
    return [{ host: config.host, port: config.port, name: `${config.host || "*"}:${config.port}` }];
  return config.listeners;
}

/**
 * The transport for a configuration's workers, decided in this thread (whose Node and flags the
 * workers share). Throws with a one-line reason when an explicit "uv" cannot run or PORTICO_TRANSPORT
 * is not understood. `portico tcp` relays through node:net sockets whatever is chosen.
 */
export function chooseTransport(config: ServerModel | TcpConfig): TransportChoice {
  const choice = selectTransport(config.kind === "tcp" ? "net" : config.options.transport);
  if (choice instanceof TransportError) throw new Error(choice.message);
  return choice;
}

/**
 * Binds host:port alone (no SO_REUSEPORT) and lets go at once; rejects as a listen failure would. On
 * the transport chosen for this thread: with the handles, net.Server's listen would load the cluster
 * module (and child_process, dgram) into this thread just for this.
 */
export async function assertPortFree(host: string, port: number, name: string): Promise<void> {
  try {
    const probe = await openListener({ port, host: host === "" ? undefined : host }, (transport) =>
      transport.destroy(),
    );
    probe.close();
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    throw new Error(listenFailure(err.code ?? "", err.message, host, port, name));
  }
}

export function listenFailure(code: string, message: string, host: string, port: number, name: string): string {
  const where = `${host === "" ? "*" : host}:${port}`;
  if (code === "EADDRINUSE") return `cannot listen on ${name}: port ${port} is already in use (${where})`;
  if (code === "EACCES") return `cannot listen on ${name}: no permission to listen on ${where}`;
  if (code === "EADDRNOTAVAIL") return `cannot listen on ${name}: address ${host} is not available on this machine`;
  return `cannot listen on ${name}: ${message}`;
}

/** A worker's failed listen (or app load) as one line, in the terms of the configuration it was given. */
export function workerFailure(
  config: ServerModel | TcpConfig,
  message: { readonly listener: number; readonly code: string; readonly message: string },
  ports: readonly number[],
): string {
  // A worker that could not load an app module: its message names the file and the fault.
  if (message.code === "APP_LOAD") return `cannot load the app: ${message.message}`;
  if (message.listener === -1) return message.message;
  const l = listenersOf(config)[message.listener]!;
  return listenFailure(message.code, message.message, l.host, ports[message.listener] ?? l.port, l.name);
}

export function graceOf(config: ServerModel | TcpConfig): number {
  return config.kind === "tcp" ? config.shutdownGraceMs : config.options.shutdownGraceMs;
}
