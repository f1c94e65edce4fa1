// One TCP connection driven straight through libuv's stream handle (Node's tcp_wrap binding, the
// same handle net.Socket wraps), without net.Socket's stream machinery: reads land in one buffer that
// every connection of the thread shares, writes go to the handle as they come. Measured with a
// responder that only finds "\r\n\r\n" (1 KiB responses, 50 connections, one core): 5.0 µs of CPU
// per request on net.Socket, 4.1 µs on the handle; an idle connection also drops net.Socket's ~4 KiB.
// The shared read buffer and the output area beside it are arena.ts's; this file applies its rules.
// Not here: the Transport contract and the choice of transport (transport.ts), accepting
// (uv-listener.ts), anything HTTP.

import { Buffer } from "node:buffer";
import net from "node:net";
import { getSystemErrorName } from "node:util";
import { enterCallback, leaveCallback } from "../common/clock.ts";
import {
  claimOutput,
  isOutputView,
  pinOutput,
  READ_AREA,
  READ_BYTES,
  readView,
  releaseOutput,
  resetClaim,
  unpinOutput,
} from "./arena.ts";
import type { Transport, TransportOwner } from "./transport.ts";
import {
  type ConnectReq,
  K_ASYNC,
  K_NREAD,
  loadUvBinding,
  type NetSocketWithHandle,
  type PeerInfo,
  type ShutdownReq,
  state,
  streamWrap,
  type TcpHandle,
  tcpWrap,
  UV_EOF,
  type WriteReq,
} from "./uv-binding.ts";
import { holding, joinHold } from "./write-hold.ts";

/** Queued (not yet in the kernel) bytes above which write() says "wait for drain". */
const HIGH_WATER = 64 * 1024;

// A write request object is only tied to a native write when the write cannot finish at once, so one
// object serves every write that completes synchronously (almost all of them) and is replaced only
// when a write is left pending. Made once the bindings are loaded (prepareUvTransport).
let spareWrite: WriteReq;

/**
 * Loads the bindings into this thread (uv-binding.ts): "" when the handle transport can run here,
 * else why not. Called before the first listen or connect (transport.ts).
 */
export function prepareUvTransport(): string {
  const unavailable = loadUvBinding();
  if (unavailable === "" && spareWrite === undefined) spareWrite = newWriteReq();
  return unavailable;
}

function newWriteReq(): WriteReq {
  const req = new streamWrap.WriteWrap();
  req.oncomplete = onWriteComplete;
  req.transport = null;
  req.data = null;
  req.pinsOutput = false;
  return req;
}

function onWriteComplete(this: WriteReq, status: number): void {
  const transport = this.transport;
  this.transport = null;
  this.data = null;
  if (this.pinsOutput) {
    this.pinsOutput = false;
    unpinOutput();
  }
  transport?.writeCompleted(status);
}

function onConnectComplete(this: ConnectReq, status: number): void {
  const transport = this.transport;
  this.transport = null;
  transport?.connectCompleted(status);
}

function onShutdownComplete(this: ShutdownReq, status: number): void {
  const callback = this.callback;
  const transport = this.transport;
  this.callback = null;
  this.transport = null;
  if (status < 0) transport?.destroy();
  else callback?.();
}

function onRead(this: TcpHandle): void {
  const transport = this.transport;
  if (transport === null) return;
  resetClaim();
  enterCallback();
  try {
    const n = state[K_NREAD]!;
    if (n > 0) transport.owner.received(readView(n));
    else if (n === UV_EOF) transport.readEnded();
    else if (n < 0) transport.failed(n);
  } finally {
    leaveCallback();
  }
}

/**
 * A closed handle's callback, one function for every connection. Node keeps a close callback as a
 * property of the handle object, and that object outlives the connection: closed handles' objects
 * survive young-generation collections until a full one (docs/architecture.md, HTTPS). A closure
 * here held the transport, its Connection and what they reference for as long; this function holds
 * nothing, and the handle drops its transport here.
 */
export function onHandleClosed(this: TcpHandle): void {
  const transport = this.transport;
  this.transport = null;
  transport?.handleClosed();
}

const noop = (): void => {};

/** A connection that is not a Connection's (refused at admission): discards input, closes on FIN. */
const DISCARD_OWNER: TransportOwner = {
  received: noop,
  peerEnded: noop,
  drained: noop,
  closed: noop,
};

export class UvTransport implements Transport {
  owner: TransportOwner = DISCARD_OWNER;
  /** Replaced only while connecting, when one address failed and the next is tried. */
  #handle: TcpHandle;
  #closed = false;
  #ended = false;
  #reading = false;
  /** Why the connection failed, as an errno name ("ECONNREFUSED"), or "" when it did not. */
  error = "";
  #connecting = false;
  /** Addresses still to try (a name can resolve to several, IPv6 and IPv4), and the port. */
  #candidates: string[] = [];
  /** end() was called while connecting: its callback, to end once connected. */
  #endOnConnect: (() => void) | null = null;
  #port = 0;
  /** Whether the owner wants to read (pause() before the connection is up defers reading). */
  #readWanted = true;
  /** The peer's FIN arrived: libuv reads no more. */
  #eof = false;
  #corked = 0;
  /** Writes are held for the end of this turn (holdWrites): one of the #corked counts is the hold's. */
  #held = false;
  /** end() or closeAfterWrites() came while held: done at release. */
  #afterHold: (() => void) | null = null;
  #queue: Array<Buffer | string> | null = null;
  #queuedBytes = 0;
  /** Writes handed to libuv that have not completed. */
  #pending = 0;
  #needDrain = false;
  #peer: { address: string; port: number } | null = null;
  #localPort = -1;

  constructor(handle: TcpHandle) {
    this.#handle = handle;
    handle.transport = this;
  }

  /**
   * Opens a connection to `host:port`. A name is looked up first and each of its addresses is tried
   * in the resolver's order until one connects (as net.connect does: "localhost" may be ::1 first
   * while the server listens on 127.0.0.1 only). The owner hears connected() or, once every address
   * failed, closed() with `error` set (the last failure). Writes made meanwhile go out once connected.
   */
  static connect(host: string, port: number, owner: TransportOwner): UvTransport {
    const transport = new UvTransport(new tcpWrap.TCP(tcpWrap.constants.SOCKET));
    transport.owner = owner;
    transport.#connecting = true;
    transport.#corked = 1;
    transport.#port = port;
    if (net.isIP(host) !== 0) transport.#connectTo(host);
    else {
      // node:dns/promises loads with the first name to resolve: a server that connects to addresses never has it.
      process
        .getBuiltinModule("node:dns/promises")
        .lookup(host, { all: true })
        .then(
          (found) => {
            transport.#candidates = found.map((a) => a.address);
            const first = transport.#candidates.shift();
            if (first === undefined) transport.#failWith("ENOTFOUND");
            else transport.#connectTo(first);
          },
          (error: NodeJS.ErrnoException) => transport.#failWith(error.code ?? "ENOTFOUND"),
        );
    }
    return transport;
  }

  #connectTo(address: string): void {
    if (this.#closed) return;
    const req = new tcpWrap.TCPConnectWrap();
    req.oncomplete = onConnectComplete;
    req.transport = this;
    req.address = address;
    req.port = this.#port;
    const handle = this.#handle;
    const err =
      net.isIP(address) === 6 ? handle.connect6(req, address, this.#port) : handle.connect(req, address, this.#port);
    if (err !== 0) this.#connectFailed(err);
  }

  /** One address failed: the next one on a fresh handle, or the failure is final. */
  #connectFailed(status: number): void {
    const next = this.#candidates.shift();
    if (next === undefined) {
      this.#failWith(getSystemErrorName(status));
      return;
    }
    this.#handle.transport = null;
    this.#handle.close();
    this.#handle = new tcpWrap.TCP(tcpWrap.constants.SOCKET);
    this.#handle.transport = this;
    this.#connectTo(next);
  }

  /** From the connect request's completion. */
  connectCompleted(status: number): void {
    if (this.#closed) return;
    if (status !== 0) {
      this.#connectFailed(status);
      return;
    }
    this.#candidates = [];
    this.#connecting = false;
    this.start(this.owner);
    this.owner.connected?.();
    this.uncork();
    const ending = this.#endOnConnect;
    if (ending !== null) {
      this.#endOnConnect = null;
      this.end(ending);
    }
  }

  #failWith(code: string): void {
    // After destroy() the writes libuv cancels complete with ECANCELED: not the cause worth reporting.
    if (this.error === "" && !this.#closed) this.error = code;
    this.destroy();
  }

  /** Starts reading into the shared buffer; the owner hears everything from now on. */
  start(owner: TransportOwner): void {
    this.owner = owner;
    const handle = this.#handle;
    handle.setNoDelay(true);
    handle.useUserBuffer(READ_AREA);
    handle.onread = onRead;
    if (this.#readWanted) this.resume();
  }

  get destroyed(): boolean {
    return this.#closed;
  }

  /** True after write() returned false, until the queued bytes have reached the kernel. */
  get needDrain(): boolean {
    return this.#needDrain;
  }

  /** True when no write is waiting in libuv: every buffer passed to write() may be reused. */
  /** Writes libuv (or a stream under it, such as TLSWrap) has not completed yet. */
  get writesInFlight(): number {
    return this.#pending;
  }

  get flushed(): boolean {
    return this.#pending === 0 && this.#corked === 0;
  }

  /**
   * A buffer of n bytes to assemble a message in and then write() here: the arena's output area when
   * it is free and the write can go out at once (arena.ts), else a new buffer.
   */
  outputBuffer(n: number): Buffer {
    if (this.#corked === 0 && !holding && !this.#closed) {
      const out = claimOutput(n);
      if (out !== null) return out;
    }
    return Buffer.allocUnsafe(n);
  }

  /** Queues bytes (a string as UTF-8); false when over the high-water mark: wait for drained(). */
  write(data: Buffer | string): boolean {
    if (this.#closed || this.#ended) {
      if (typeof data !== "string" && isOutputView(data)) releaseOutput();
      return false;
    }
    if (holding && !this.#held) {
      this.#held = true;
      this.#corked++;
      joinHold(this);
    }
    if (this.#corked > 0) {
      // The arena's output area is for writes that go out now: a queued one keeps a copy.
      if (typeof data !== "string" && isOutputView(data)) {
        data = Buffer.from(data);
        releaseOutput();
      }
      (this.#queue ??= []).push(data);
      this.#queuedBytes += data.length;
      if (this.#queuedBytes + this.#handle.writeQueueSize >= HIGH_WATER) this.#needDrain = true;
      return !this.#needDrain;
    }
    this.#dispatch(data);
    return !this.#needDrain;
  }

  cork(): void {
    this.#corked++;
  }

  /** From the write hold (write-hold.ts): the turn is over, held bytes go out (and a deferred end or close follows). */
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

  /** True when nothing is queued or in libuv except what the turn's hold keeps back. */
  get settledButHeld(): boolean {
    return this.#pending === 0 && this.#corked === (this.#held ? 1 : 0);
  }

  /**
   * Closes once every byte written is handed to the kernel: at once when nothing waits, at the end of
   * the turn when the bytes are held, else after a graceful shutdown.
   */
  closeAfterWrites(): void {
    if (this.#closed) return;
    if (this.#held) {
      this.#afterHold = () => this.closeAfterWrites();
      return;
    }
    if (this.flushed) this.destroy();
    else this.end(() => this.destroy());
  }

  uncork(): void {
    if (this.#corked === 0 || --this.#corked > 0) return;
    this.#flush();
  }

  #flush(): void {
    const queue = this.#queue;
    if (queue === null || queue.length === 0) return;
    this.#queue = null;
    this.#queuedBytes = 0;
    if (this.#closed) return;
    if (queue.length === 1) this.#dispatch(queue[0]!);
    else this.#dispatchMany(queue);
    // A write while corked said "wait for drain", but the kernel took everything at once: no write
    // completion will come to say so.
    if (this.#needDrain && this.#pending === 0) queueMicrotask(() => this.#drainIfIdle());
  }

  #drainIfIdle(): void {
    if (this.#needDrain && this.#pending === 0 && !this.#closed) {
      this.#needDrain = false;
      this.owner.drained();
    }
  }

  #dispatch(data: Buffer | string): void {
    const req = spareWrite;
    if (typeof data === "string") {
      this.#afterWrite(req, this.#handle.writeUtf8String(req, data), data);
      return;
    }
    const err = this.#handle.writeBuffer(req, data);
    if (isOutputView(data)) {
      // libuv keeps pointing into the arena's output area until a pending write completes.
      if (err === 0 && state[K_ASYNC] !== 0) {
        req.pinsOutput = true;
        pinOutput();
      } else {
        releaseOutput();
      }
    }
    this.#afterWrite(req, err, data);
  }

  #dispatchMany(chunks: Array<Buffer | string>): void {
    let allBuffers = true;
    for (const c of chunks) {
      if (typeof c === "string") {
        allBuffers = false;
        break;
      }
    }
    let list: Array<Buffer | string> = chunks;
    if (!allBuffers) {
      list = new Array<Buffer | string>(chunks.length * 2);
      for (let i = 0; i < chunks.length; i++) {
        const c = chunks[i]!;
        list[i * 2] = c;
        list[i * 2 + 1] = typeof c === "string" ? "utf8" : "buffer";
      }
    }
    const req = spareWrite;
    const err = this.#handle.writev(req, list, allBuffers);
    this.#afterWrite(req, err, list);
  }

  #afterWrite(req: WriteReq, err: number, data: unknown): void {
    if (err !== 0) {
      this.failed(err);
      return;
    }
    if (state[K_ASYNC] === 0) return;
    // libuv holds on to these bytes until the kernel takes them: keep them (and the request) alive.
    req.transport = this;
    req.data = data;
    spareWrite = newWriteReq();
    this.#pending++;
    if (this.#handle.writeQueueSize >= HIGH_WATER) this.#needDrain = true;
  }

  /** From a pending write's completion. */
  writeCompleted(status: number): void {
    this.#pending--;
    if (status < 0) {
      this.failed(status);
      return;
    }
    if (this.#pending === 0) this.#drainIfIdle();
  }

  /** Sends FIN after everything queued; `callback` runs once the kernel has it. Reading goes on. */
  end(callback?: () => void): void {
    if (this.#closed || this.#ended) return;
    if (this.#held) {
      // FIN must follow the held bytes, which go out at the end of the turn.
      this.#afterHold = () => this.end(callback);
      return;
    }
    if (this.#connecting) {
      // Not before the connection is up: queued bytes must go to the address that answers.
      this.#endOnConnect = callback ?? noop;
      return;
    }
    this.#corked = 0;
    this.#flush();
    if (this.#closed) return;
    this.#ended = true;
    const req = new streamWrap.ShutdownWrap();
    req.oncomplete = onShutdownComplete;
    req.transport = this;
    req.callback = callback ?? null;
    if (this.#handle.shutdown(req) !== 0) this.destroy();
  }

  /** A read or write failed with a libuv error: remember why, and close. */
  failed(status: number): void {
    this.#failWith(getSystemErrorName(status));
  }

  /** From the read callback: the peer half-closed. */
  readEnded(): void {
    this.#reading = false;
    this.#eof = true;
    this.owner.peerEnded();
  }

  pause(): void {
    this.#readWanted = false;
    if (!this.#reading || this.#closed) return;
    this.#reading = false;
    this.#handle.readStop();
  }

  resume(): void {
    this.#readWanted = true;
    if (this.#reading || this.#closed || this.#eof || this.#connecting) return;
    this.#reading = true;
    if (this.#handle.readStart() !== 0) this.destroy();
  }

  /** Closes at once (queued bytes are dropped); owner.closed() follows from the event loop. */
  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reading = false;
    this.#queue = null;
    this.#queuedBytes = 0;
    const handle = this.#handle;
    handle.onread = noop;
    this.closeHandle(handle);
  }

  /** Closes the handle; onHandleClosed (this transport is the handle's) ends the connection. */
  protected closeHandle(handle: TcpHandle): void {
    handle.close(onHandleClosed);
  }

  /** From the handle's close callback (onHandleClosed): the connection is over. */
  handleClosed(): void {
    this.released();
    this.owner.closed();
  }

  /** The handle is closed: what a subclass holds beside it can go (TlsTransport frees OpenSSL's state). */
  protected released(): void {}

  // Peer details cost a getpeername/getsockname system call each: asked for on first use only, and
  // remembered (they are gone once the handle is closed).
  get remoteAddress(): string {
    if (this.#peer === null) this.#readPeer();
    return this.#peer!.address;
  }

  get remotePort(): number {
    if (this.#peer === null) this.#readPeer();
    return this.#peer!.port;
  }

  #readPeer(): void {
    const out: PeerInfo = {};
    if (this.#closed || this.#handle.getpeername(out) !== 0) {
      this.#peer = { address: "", port: 0 };
      return;
    }
    // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; logs and X-Forwarded-For want a.b.c.d.
    const address = out.address ?? "";
    this.#peer = {
      address: address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address,
      port: out.port ?? 0,
    };
  }

  get localPort(): number {
    if (this.#localPort === -1) {
      const out: PeerInfo = {};
      this.#localPort = this.#closed || this.#handle.getsockname(out) !== 0 ? 0 : (out.port ?? 0);
    }
    return this.#localPort;
  }

  /**
   * Hands the connection to a net.Socket (a tunnel after 101 Switching Protocols). This transport is
   * done afterwards. The socket reads into buffers of its own and emits each chunk as 'data'.
   */
  toSocket(): net.Socket {
    this.#flush();
    this.pause();
    this.#closed = true;
    const handle = this.#handle;
    handle.transport = null;
    handle.onread = noop;
    let socket: net.Socket | null = null;
    let readBuffer = Buffer.allocUnsafe(READ_BYTES);
    const Socket = net.Socket as unknown as NetSocketWithHandle;
    socket = new Socket({
      handle,
      readable: true,
      writable: true,
      allowHalfOpen: true,
      onread: {
        buffer: () => readBuffer,
        callback: (n: number) => {
          // The chunk may wait in the other side's write queue. A small one (a WebSocket frame) is
          // copied out so it does not pin 64 KiB; a large one takes the buffer along.
          let chunk: Buffer;
          if (n < READ_BYTES / 2) chunk = Buffer.from(readBuffer.subarray(0, n));
          else {
            chunk = readBuffer.subarray(0, n);
            readBuffer = Buffer.allocUnsafe(READ_BYTES);
          }
          socket!.emit("data", chunk);
          return true;
        },
      },
    });
    return socket;
  }
}
