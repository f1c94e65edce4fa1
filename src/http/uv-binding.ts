// Node's internal libuv stream bindings (tcp_wrap, stream_wrap, uv, tls_wrap), typed: the handle
// methods and request objects lib/net.js and lib/_tls_wrap.js themselves use. Only transport.ts,
// listener.ts and tls-accept.ts touch them.

import type net from "node:net";
import type { Transport } from "./transport.ts";

export interface WriteReq {
  oncomplete: (this: WriteReq, status: number) => void;
  transport: Transport | null;
  /** What the kernel has not taken yet: kept alive until the write completes. */
  data: unknown;
  /** The pending bytes are in the arena's output area (arena.ts): unpinned on completion. */
  pinsOutput: boolean;
}

export interface ShutdownReq {
  oncomplete: (this: ShutdownReq, status: number) => void;
  transport: Transport | null;
  callback: (() => void) | null;
}

export interface ConnectReq {
  oncomplete: (this: ConnectReq, status: number) => void;
  transport: Transport | null;
  address: string;
  port: number;
}

export interface PeerInfo {
  address?: string;
  port?: number;
  family?: string;
}

/** The methods of tcp_wrap's TCP handle used here (see Node's lib/net.js for the same calls). */
export interface TcpHandle {
  onread: (this: TcpHandle, arrayBuffer: ArrayBuffer | undefined) => void;
  onconnection: ((this: TcpHandle, status: number, client: TcpHandle | undefined) => void) | null;
  transport: Transport | null;
  readonly writeQueueSize: number;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
  writeBuffer(req: WriteReq, data: Buffer): number;
  writeUtf8String(req: WriteReq, data: string): number;
  writev(req: WriteReq, chunks: Array<Buffer | string>, allBuffers: boolean): number;
  shutdown(req: ShutdownReq): number;
  close(callback?: () => void): void;
  getpeername(out: PeerInfo): number;
  getsockname(out: PeerInfo): number;
  setNoDelay(on: boolean): number;
  connect(req: ConnectReq, address: string, port: number): number;
  connect6(req: ConnectReq, address: string, port: number): number;
  bind(address: string, port: number, flags: number): number;
  bind6(address: string, port: number, flags: number): number;
  listen(backlog: number): number;
}

interface TcpWrapBinding {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectReq;
  constants: { SOCKET: number; SERVER: number; UV_TCP_REUSEPORT: number };
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  ShutdownWrap: new () => ShutdownReq;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

/** Node's TLSWrap: a stream over a TCP handle that OpenSSL encrypts (see lib/_tls_wrap.js). */
export interface TlsWrapHandle {
  /** The TCP handle under it: _tls_wrap.js's proxies (getpeername, setNoDelay…) call through it. */
  _parent: TcpHandle;
  /** The SNI context picked in oncertcb, applied by certCbDone(). */
  sni_context: unknown;
  transport: Transport | null;
  onhandshakestart?: (this: TlsWrapHandle, now: number) => void;
  onhandshakedone?: (this: TlsWrapHandle) => void;
  oncertcb: ((this: TlsWrapHandle, info: { servername?: string }) => void) | null;
  onerror: (this: TlsWrapHandle, error: Error) => void;
  onnewsession: ((this: TlsWrapHandle) => void) | null;
  onkeylog: ((this: TlsWrapHandle) => void) | null;
  enableCertCb(): void;
  certCbDone(): void;
  setALPNProtocols(protocols: Uint8Array): void;
  receive(data: Uint8Array): void;
  destroySSL(): void;
  shutdown(req: ShutdownReq): number;
  getALPNNegotiatedProtocol(): string | false;
  getServername(): string | false;
  isSessionReused(): boolean;
}

interface TlsWrapBinding {
  wrap(handle: TcpHandle, context: unknown, isServer: boolean, hasActiveWrite: boolean): TlsWrapHandle;
  TLSWrap: { prototype: { shutdown(req: ShutdownReq): number } };
}

export interface NetSocketWithHandle {
  new (options: {
    handle: TcpHandle;
    onread: net.OnReadOpts;
    readable: boolean;
    writable: boolean;
    allowHalfOpen: boolean;
  }): net.Socket;
}

const binding = (process as unknown as { binding(name: string): unknown }).binding;
export const tcpWrap = binding("tcp_wrap") as TcpWrapBinding;
export const streamWrap = binding("stream_wrap") as StreamWrapBinding;
/** Node's TLSWrap, or null where this Node does not offer it (TLS then goes through node:tls). */
export const tlsWrap = loadTlsWrap();
function loadTlsWrap(): TlsWrapBinding | null {
  try {
    const found = binding("tls_wrap") as Partial<TlsWrapBinding>;
    return typeof found.wrap === "function" ? (found as TlsWrapBinding) : null;
  } catch {
    return null;
  }
}
export const UV_EOF = (binding("uv") as { UV_EOF: number }).UV_EOF;
export const state = streamWrap.streamBaseState;
export const K_NREAD = streamWrap.kReadBytesOrError;
export const K_ASYNC = streamWrap.kLastWriteWasAsync;
