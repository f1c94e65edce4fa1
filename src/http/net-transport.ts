// One connection on a public net.Socket behind the Transport contract: the fallback where Node's
// internal handle bindings cannot be used (transport.ts chooses), and the carrier for any other
// net.Socket a listener hands over, a tls.TLSSocket included (its 'data' is cleartext, its writes are
// encrypted). Same rules as the handle transport: writes queue while corked or held for the turn
// (write-hold.ts) and go out together, FIN never follows the peer's on its own (half-close is the
// owner's business), and drained() follows a write() that returned false.
// Reads arrive as the socket's own buffers, never views of the arena's read area, and messages are
// assembled in buffers of their own: a socket keeps what it is given until the kernel has it.
// Not here: accepting (net-listener.ts), anything HTTP.

import { Buffer } from "node:buffer";
import net from "node:net";
import { enterCallback, leaveCallback } from "../common/clock.ts";
import { resetClaim } from "./arena.ts";
import type { Transport, TransportOwner } from "./transport.ts";
import { holding, joinHold } from "./write-hold.ts";

/** The socket buffer size of sockets made here, the handle transport's high-water mark too. */
export const NET_HIGH_WATER = 64 * 1024;

const noop = (): void => {};

const DISCARD_OWNER: TransportOwner = { received: noop, peerEnded: noop, drained: noop, closed: noop };

export interface NetTransportOptions {
  /**
   * The event that says a connecting socket is usable ("connect" for TCP, "secureConnect" for a TLS
   * client): the owner's connected() follows it. Leave out for a socket that is already connected.
   */
  readonly connectEvent?: "connect" | "secureConnect";
  /**
   * A TLS socket: closing after the last write always goes through end(), so close_notify precedes
   * the FIN (RFC 8446 §6.1); a client that sees a bare FIN takes it as a truncation, and OpenSSL
   * then drops the session from its cache.
   */
  readonly closeNotify?: boolean;
}

export class NetTransport implements Transport {
  owner: TransportOwner = DISCARD_OWNER;
  /** Why the connection failed (an errno name such as "ECONNREFUSED", or the error's code), or "". */
  error = "";
  readonly #socket: net.Socket;
  #closed = false;
  /** 'close' was heard: owner.closed() was called. */
  #gone = false;
  #ended = false;
  #started = false;
  /** Whether the owner wants to read (pause() before start defers reading). */
  #readWanted = true;
  #corked = 0;
  /** Writes are held for the end of this turn (holdWrites): one of the #corked counts is the hold's. */
  #held = false;
  /** end() or closeAfterWrites() came while held: done at release. */
  #afterHold: (() => void) | null = null;
  #queue: Array<Buffer | string> | null = null;
  #queuedBytes = 0;
  #needDrain = false;
  #peer: { address: string; port: number } | null = null;
  #localPort = -1;
  // The socket's listeners, kept to be taken off again when the socket is handed over (toSocket).
  readonly #onData = (chunk: Buffer): void => this.#received(chunk);
  readonly #onEnd = (): void => this.owner.peerEnded();
  readonly #onDrain = (): void => this.#drainIfIdle();
  readonly #onError = (error: NodeJS.ErrnoException): void => this.#failed(error);
  readonly #onClose = (): void => this.#closedBySocket();
  readonly #onConnect = (): void => this.owner.connected?.();
  readonly #connectEvent: string;
  readonly #closeNotify: boolean;

  constructor(socket: net.Socket, options: NetTransportOptions = {}) {
    this.#socket = socket;
    this.#connectEvent = options.connectEvent ?? "";
    this.#closeNotify = options.closeNotify === true;
    // The peer's FIN is reported (peerEnded) and never answered with ours by the socket itself.
    socket.allowHalfOpen = true;
    socket.on("end", this.#onEnd).on("drain", this.#onDrain).on("error", this.#onError).on("close", this.#onClose);
    if (this.#connectEvent !== "") socket.once(this.#connectEvent, this.#onConnect);
  }

  /**
   * Opens a TCP connection to `host:port` (every address of a name is tried, as net.connect does).
   * The owner hears connected() or, once every address failed, closed() with `error` set.
   */
  static connect(host: string, port: number, owner: TransportOwner): NetTransport {
    // highWaterMark reaches the socket's stream options (Duplex), though @types/node does not list it.
    const options: net.NetConnectOpts & { highWaterMark: number } = {
      host,
      port,
      allowHalfOpen: true,
      noDelay: true,
      highWaterMark: NET_HIGH_WATER,
    };
    const socket = net.connect(options);
    const transport = new NetTransport(socket, { connectEvent: "connect" });
    transport.start(owner);
    return transport;
  }

  start(owner: TransportOwner): void {
    this.owner = owner;
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#socket.setNoDelay(true);
    // A 'data' listener sets the socket flowing unless the owner paused it first.
    if (!this.#readWanted) this.#socket.pause();
    this.#socket.on("data", this.#onData);
  }

  #received(chunk: Buffer): void {
    if (this.#closed) return;
    // Same bracket as the handle transport's read callback (clock.ts, arena.ts).
    resetClaim();
    enterCallback();
    try {
      this.owner.received(chunk);
    } finally {
      leaveCallback();
    }
  }

  get destroyed(): boolean {
    return this.#closed;
  }

  get needDrain(): boolean {
    return this.#needDrain;
  }

  get flushed(): boolean {
    return this.#corked === 0 && this.#socket.writableLength === 0;
  }

  get settledButHeld(): boolean {
    return this.#socket.writableLength === 0 && this.#corked === (this.#held ? 1 : 0);
  }

  /** A socket keeps the buffers it is given until they are written: never the arena's output area. */
  outputBuffer(n: number): Buffer {
    return Buffer.allocUnsafe(n);
  }

  write(data: Buffer | string): boolean {
    if (this.#closed || this.#ended) return false;
    if (holding && !this.#held) {
      this.#held = true;
      this.#corked++;
      joinHold(this);
    }
    const socket = this.#socket;
    if (this.#corked > 0) {
      (this.#queue ??= []).push(data);
      this.#queuedBytes += data.length;
      if (this.#queuedBytes + socket.writableLength >= socket.writableHighWaterMark) this.#needDrain = true;
      return !this.#needDrain;
    }
    // The socket's own answer: false means it will emit 'drain' once its buffer is empty.
    if (!socket.write(data)) this.#needDrain = true;
    return !this.#needDrain;
  }

  cork(): void {
    this.#corked++;
  }

  uncork(): void {
    if (this.#corked === 0 || --this.#corked > 0) return;
    this.#flush();
  }

  releaseHold(): void {
    if (!this.#held) return;
    this.#held = false;
    this.uncork();
    const after = this.#afterHold;
    if (after !== null) {
      this.#afterHold = null;
      after();
    }
  }

  #flush(): void {
    const queue = this.#queue;
    if (queue === null || queue.length === 0) return;
    this.#queue = null;
    this.#queuedBytes = 0;
    if (this.#closed) return;
    const socket = this.#socket;
    let ok = true;
    if (queue.length === 1) ok = socket.write(queue[0]!);
    else {
      // One writev for the lot.
      socket.cork();
      for (const chunk of queue) ok = socket.write(chunk);
      socket.uncork();
    }
    if (!ok) return;
    // A write while corked said "wait for drain", but the socket took everything under its high-water
    // mark: it emits no 'drain' then.
    if (this.#needDrain) queueMicrotask(this.#onDrain);
  }

  #drainIfIdle(): void {
    if (this.#needDrain && !this.#closed && !this.#socket.writableNeedDrain) {
      this.#needDrain = false;
      this.owner.drained();
    }
  }

  closeAfterWrites(): void {
    if (this.#closed) return;
    if (this.#held) {
      this.#afterHold = () => this.closeAfterWrites();
      return;
    }
    if (this.flushed && !this.#closeNotify) this.destroy();
    else this.end(() => this.destroy());
  }

  end(callback?: () => void): void {
    if (this.#closed || this.#ended) return;
    if (this.#held) {
      // FIN must follow the held bytes, which go out at the end of the turn.
      this.#afterHold = () => this.end(callback);
      return;
    }
    this.#corked = 0;
    this.#flush();
    if (this.#closed) return;
    this.#ended = true;
    // The socket sends FIN once everything written is with the kernel (a TLS socket sends its
    // close_notify first); a socket destroyed before that calls back with an error, ignored here as
    // the handle transport ignores a failed shutdown's callback.
    if (callback === undefined) this.#socket.end();
    else this.#socket.end((error?: Error | null) => error == null && !this.#closed && callback());
  }

  pause(): void {
    this.#readWanted = false;
    if (this.#started && !this.#closed) this.#socket.pause();
  }

  resume(): void {
    this.#readWanted = true;
    if (this.#started && !this.#closed) this.#socket.resume();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = null;
    this.#queuedBytes = 0;
    this.#socket.destroy();
  }

  #failed(error: NodeJS.ErrnoException): void {
    // After destroy() nothing is worth reporting; otherwise the first failure is the cause.
    if (this.error === "" && !this.#closed) this.error = error.code ?? "EIO";
    this.destroy();
  }

  #closedBySocket(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#closed = true;
    this.#queue = null;
    this.owner.closed();
  }

  get remoteAddress(): string {
    if (this.#peer === null) this.#readPeer();
    return this.#peer!.address;
  }

  get remotePort(): number {
    if (this.#peer === null) this.#readPeer();
    return this.#peer!.port;
  }

  #readPeer(): void {
    // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; logs and X-Forwarded-For want a.b.c.d.
    const address = this.#socket.remoteAddress ?? "";
    this.#peer = {
      address: address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address,
      port: this.#socket.remotePort ?? 0,
    };
  }

  get localPort(): number {
    if (this.#localPort === -1) this.#localPort = this.#socket.localPort ?? 0;
    return this.#localPort;
  }

  /**
   * Hands the socket itself over (a tunnel after 101 Switching Protocols), paused, with queued bytes
   * written and this transport's listeners taken off: nothing reaches the owner afterwards.
   */
  toSocket(): net.Socket {
    const socket = this.#socket;
    this.#corked = 0;
    this.#flush();
    this.pause();
    this.#closed = true;
    this.#gone = true;
    socket
      .off("data", this.#onData)
      .off("end", this.#onEnd)
      .off("drain", this.#onDrain)
      .off("error", this.#onError)
      .off("close", this.#onClose);
    if (this.#connectEvent !== "") socket.off(this.#connectEvent, this.#onConnect);
    return socket;
  }
}
