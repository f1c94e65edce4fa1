// The contract between the engine and a byte stream, and which implementation a thread runs: libuv
// TCP handles driven through Node's internal bindings (uv-transport.ts, ~20% less CPU per request),
// or public node:net sockets (net-transport.ts), which work on any Node and for any net.Socket,
// TLS sockets included. Chosen once per thread before the first listen or connect: "auto" takes the
// handles when their bindings have the shape needed (uv-binding.ts) and node:net otherwise.
// Not here: reading, writing or accepting (the implementations), anything HTTP.

import type net from "node:net";
import type { OutputTarget } from "./arena.ts";
import { TransportError } from "./errors.ts";
import { listenNet } from "./net-listener.ts";
import { NetTransport } from "./net-transport.ts";
import type { TlsListening } from "./tls-listen.ts";
import { listenUv } from "./uv-listener.ts";
import { prepareUvTransport, UvTransport } from "./uv-transport.ts";

export { holdWrites } from "./write-hold.ts";

/** What the owner of a transport hears. Method names differ from ResponseSink's on purpose. */
export interface TransportOwner {
  /**
   * Bytes read. `chunk` may be a view of the thread's shared read buffer (arena.ts): valid only
   * during this call; copy what must outlive it.
   */
  received(chunk: Buffer): void;
  /** The peer sent FIN (half-close); writing is still possible. */
  peerEnded(): void;
  /** Every queued write has reached the kernel after write() returned false. */
  drained(): void;
  /** The connection is closed; called once. */
  closed(): void;
  /** A connection opened by connectTransport() is established. */
  connected?(): void;
}

/** One connection, accepted or opened: a libuv handle or a net.Socket behind the same methods. */
export interface Transport extends OutputTarget {
  /** Why the connection failed, as an errno name ("ECONNREFUSED"), or "" when it did not. */
  readonly error: string;
  readonly destroyed: boolean;
  /** True after write() returned false, until the queued bytes have reached the kernel. */
  readonly needDrain: boolean;
  /** True when no write is waiting: every buffer passed to write() may be reused. */
  readonly flushed: boolean;
  /** True when nothing is queued or in flight except what the turn's hold keeps back. */
  readonly settledButHeld: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** Starts reading; the owner hears everything from now on. */
  start(owner: TransportOwner): void;
  /** Queues bytes (a string as UTF-8); false when over the high-water mark: wait for drained(). */
  write(data: Buffer | string): boolean;
  cork(): void;
  uncork(): void;
  /** Sends FIN after everything queued; `callback` runs once the kernel has it. Reading goes on. */
  end(callback?: () => void): void;
  /** Closes once every byte written is handed to the kernel. */
  closeAfterWrites(): void;
  pause(): void;
  resume(): void;
  /** Closes at once (queued bytes are dropped); owner.closed() follows from the event loop. */
  destroy(): void;
  /** Hands the connection to a net.Socket (a tunnel after a 101); this transport is done then. */
  toSocket(): net.Socket;
}

/** Where a listener is bound. */
export interface BoundAddress {
  readonly address: string;
  readonly family: string;
  readonly port: number;
}

export interface ListenerOptions {
  readonly port: number;
  /** Host name or address; none = every address (IPv6 and IPv4 when the system has IPv6). */
  readonly host?: string | undefined;
  /** Several listeners on one port, balanced by the kernel (Linux SO_REUSEPORT). */
  readonly reusePort?: boolean;
  readonly backlog?: number;
  /** Speak TLS: each connection is greeted (tls-listen.ts) and the acceptor hears what it becomes. */
  readonly tls?: TlsListening;
}

/** A listening socket; each accepted connection becomes a Transport passed to its `accept`. */
export interface Listener {
  address(): BoundAddress;
  /** Stops accepting; connections already accepted are not touched. */
  close(): void;
}

export type TransportKind = "uv" | "net";
/** "auto": the PORTICO_TRANSPORT environment variable when set, else uv where it can run, else net. */
export type TransportMode = "auto" | TransportKind;

export interface TransportChoice {
  readonly kind: TransportKind;
  /** Why net runs where uv was possible to ask for ("" when nothing needs saying). */
  readonly reason: string;
}

interface Implementation {
  connect(host: string, port: number, owner: TransportOwner): Transport;
  listen(options: ListenerOptions, accept: (transport: Transport) => void): Promise<Listener>;
}

const UV: Implementation = { connect: UvTransport.connect, listen: listenUv };
const NET: Implementation = { connect: NetTransport.connect, listen: listenNet };

let active: Implementation | null = null;
let activeChoice: TransportChoice | null = null;

/**
 * Decides this thread's transport. `env` is PORTICO_TRANSPORT, read only in "auto" mode (so tests and
 * CI can run everything on net). A TransportError when "uv" is asked for and cannot run, or `env`
 * names no transport; the thread's choice is then unchanged. Connections made after a later call use
 * the new choice (a test's business only).
 */
export function selectTransport(
  mode: TransportMode,
  env: string | undefined = process.env.PORTICO_TRANSPORT,
): TransportChoice | TransportError {
  let wanted: TransportMode = mode;
  if (mode === "auto" && env !== undefined && env !== "") {
    if (env !== "auto" && env !== "uv" && env !== "net")
      return new TransportError(
        "TRANSPORT_UNKNOWN",
        `PORTICO_TRANSPORT: expected auto, uv or net, got ${JSON.stringify(env)}`,
      );
    wanted = env;
  }
  let choice: TransportChoice;
  if (wanted === "net") choice = { kind: "net", reason: "" };
  else {
    const unavailable = prepareUvTransport();
    if (unavailable === "") choice = { kind: "uv", reason: "" };
    else if (wanted === "uv")
      return new TransportError("TRANSPORT_UNAVAILABLE", `the uv transport cannot run here: ${unavailable}`);
    else choice = { kind: "net", reason: unavailable };
  }
  active = choice.kind === "uv" ? UV : NET;
  activeChoice = choice;
  return choice;
}

/** The transport this thread runs, choosing the default ("auto") on first use. */
export function activeTransport(): TransportChoice {
  if (activeChoice === null) {
    const choice = selectTransport("auto");
    if (choice instanceof TransportError) throw new Error(choice.message);
  }
  return activeChoice!;
}

/**
 * Opens a connection to `host:port` (every address of a name is tried in turn). The owner hears
 * connected() or, when it failed, closed() with `error` set. Writes made meanwhile go out once connected.
 */
export function connectTransport(host: string, port: number, owner: TransportOwner): Transport {
  if (active === null) activeTransport();
  return active!.connect(host, port, owner);
}

/**
 * Listens; each accepted connection becomes a Transport passed to `accept` (with `options.tls`, to
 * the TLS acceptor instead). Rejects as Node does (EADDRINUSE…). A TLS listener on the handle
 * transport where Node's tls_wrap binding is missing or changed accepts on node:net instead.
 */
export function openListener(options: ListenerOptions, accept: (transport: Transport) => void): Promise<Listener> {
  if (active === null) activeTransport();
  if (options.tls !== undefined && active === UV) return openUvTlsListener(options, accept);
  return active!.listen(options, accept);
}

/** The TLS acceptors, and node:tls with them, load with a thread's first TLS listener, never before. */
async function openUvTlsListener(options: ListenerOptions, accept: (transport: Transport) => void): Promise<Listener> {
  const { canWrapTls } = await import("./uv-tls-accept.ts");
  return (canWrapTls() ? UV : NET).listen(options, accept);
}
