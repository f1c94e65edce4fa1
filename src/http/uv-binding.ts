// Node's internal libuv stream bindings (tcp_wrap, stream_wrap, uv, and tls_wrap where it has the
// shape needed), typed: the handle methods and request objects lib/net.js and lib/_tls_wrap.js
// themselves use. Loaded on demand, after a check that they have the shape
// the handle transport needs: they are internal, may change or go away in any Node release, and
// `process.binding` is refused under --permission and deprecated under --pending-deprecation (fatal
// with --throw-deprecation). Where the check fails the engine runs on node:net instead (transport.ts).
// Only uv-transport.ts, uv-listener.ts and uv-tls-accept.ts touch them.

import type net from "node:net";
import type { UvTransport } from "./uv-transport.ts";

export interface WriteReq {
  oncomplete: (this: WriteReq, status: number) => void;
  transport: UvTransport | null;
  /** What the kernel has not taken yet: kept alive until the write completes. */
  data: unknown;
  /** The pending bytes are in the arena's output area (arena.ts): unpinned on completion. */
  pinsOutput: boolean;
}

export interface ShutdownReq {
  oncomplete: (this: ShutdownReq, status: number) => void;
  transport: UvTransport | null;
  callback: (() => void) | null;
}

export interface ConnectReq {
  oncomplete: (this: ConnectReq, status: number) => void;
  transport: UvTransport | null;
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
  transport: UvTransport | null;
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

/** Node's TLSWrap: a stream over a TCP handle that OpenSSL encrypts (see lib/_tls_wrap.js). */
export interface TlsWrapHandle {
  /** The TCP handle under it: _tls_wrap.js's proxies (getpeername, setNoDelay…) call through it. */
  _parent: TcpHandle;
  /** The SNI context picked in oncertcb, applied by certCbDone(). */
  sni_context: unknown;
  transport: UvTransport | null;
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
  TLSWrap: { prototype: Record<string, unknown> & { shutdown(req: ShutdownReq): number } };
}

/** The TLSWrap methods uv-tls-accept.ts calls (the handle methods come through _tls_wrap.js's proxies). */
const TLS_WRAP_METHODS = [
  "receive",
  "setALPNProtocols",
  "enableCertCb",
  "certCbDone",
  "shutdown",
  "readStart",
  "readStop",
  "useUserBuffer",
  "writeBuffer",
  "writeUtf8String",
  "writev",
  "close",
  "getpeername",
  "getsockname",
  "setNoDelay",
] as const;

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

export interface NetSocketWithHandle {
  new (options: {
    handle: TcpHandle;
    onread: net.OnReadOpts;
    readable: boolean;
    writable: boolean;
    allowHalfOpen: boolean;
  }): net.Socket;
}

/** The TCP handle's methods the transport and the listener call. */
const HANDLE_METHODS = [
  "readStart",
  "readStop",
  "useUserBuffer",
  "writeBuffer",
  "writeUtf8String",
  "writev",
  "shutdown",
  "close",
  "getpeername",
  "getsockname",
  "setNoDelay",
  "connect",
  "connect6",
  "bind",
  "bind6",
  "listen",
] as const;

// Set by loadUvBinding(); read only after it succeeded.
export let tcpWrap: TcpWrapBinding;
export let streamWrap: StreamWrapBinding;
export let UV_EOF = 0;
export let state: Int32Array;
export let K_NREAD = 0;
export let K_ASYNC = 0;
/**
 * Node's TLSWrap when the handle transport runs and tls_wrap has the shape needed, else null (HTTPS
 * then goes through node:tls on a net.Socket, transport.ts). Set by loadTlsWrap().
 */
export let tlsWrap: TlsWrapBinding | null = null;
let loaded: string | null = null;
let tlsWrapLoaded = false;

/**
 * Loads the bindings into this thread and checks their shape. Returns "" when the handle transport
 * can run, else why not (one phrase, for the banner). Called once per thread; later calls repeat the
 * first answer.
 */
export function loadUvBinding(): string {
  loaded ??= load();
  return loaded;
}

function load(): string {
  const binding = (process as unknown as { binding?: unknown }).binding;
  if (typeof binding !== "function") return "process.binding is gone";
  let tcp: Partial<TcpWrapBinding>;
  let stream: Partial<StreamWrapBinding>;
  let uv: { UV_EOF?: unknown };
  // Under --pending-deprecation, process.binding emits DEP0111 through process.emitWarning (thrown
  // on the next tick with --throw-deprecation): whoever runs Node that way wants no deprecated API,
  // so the warning is caught here and taken as a "no", before anything prints or throws.
  const emitWarning = process.emitWarning;
  let deprecated = false;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === "DeprecationWarning" || (warning instanceof Error && warning.name === "DeprecationWarning"))
      deprecated = true;
    else (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    const get = binding as (name: string) => unknown;
    tcp = get.call(process, "tcp_wrap") as Partial<TcpWrapBinding>;
    stream = get.call(process, "stream_wrap") as Partial<StreamWrapBinding>;
    uv = get.call(process, "uv") as { UV_EOF?: unknown };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `process.binding refused${code !== undefined ? ` (${code})` : ""}`;
  } finally {
    process.emitWarning = emitWarning;
  }
  if (deprecated) return "process.binding is deprecated under --pending-deprecation";
  const proto = (tcp?.TCP as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  if (proto === undefined) return "tcp_wrap has no TCP handle";
  for (const method of HANDLE_METHODS) {
    if (typeof proto[method] !== "function") return `tcp_wrap's TCP handle lacks ${method}()`;
  }
  const constants = tcp.constants as Partial<TcpWrapBinding["constants"]> | undefined;
  if (
    typeof constants?.SOCKET !== "number" ||
    typeof constants.SERVER !== "number" ||
    typeof constants.UV_TCP_REUSEPORT !== "number"
  )
    return "tcp_wrap lacks its constants";
  if (typeof tcp.TCPConnectWrap !== "function") return "tcp_wrap lacks TCPConnectWrap";
  if (typeof stream?.WriteWrap !== "function" || typeof stream.ShutdownWrap !== "function")
    return "stream_wrap lacks its request objects";
  if (
    !(stream.streamBaseState instanceof Int32Array) ||
    typeof stream.kReadBytesOrError !== "number" ||
    typeof stream.kLastWriteWasAsync !== "number"
  )
    return "stream_wrap lacks its shared state";
  if (typeof uv?.UV_EOF !== "number") return "uv lacks UV_EOF";
  tcpWrap = tcp as TcpWrapBinding;
  streamWrap = stream as StreamWrapBinding;
  UV_EOF = uv.UV_EOF;
  state = stream.streamBaseState;
  K_NREAD = stream.kReadBytesOrError;
  K_ASYNC = stream.kLastWriteWasAsync;
  return "";
}

/**
 * Loads tls_wrap the first time this thread terminates TLS on the handles, and checks its shape;
 * returns TLSWrap, or null when HTTPS must go through node:tls on a net.Socket. node:tls is loaded
 * first: lib/_tls_wrap.js gives TLSWrap the handle methods it forwards to the TCP handle underneath
 * (close, getpeername, setNoDelay…), which the shape check needs in place. A thread that serves no
 * TLS never loads node:tls (measured: ~4 MiB of resident memory per process).
 */
export function loadTlsWrap(): TlsWrapBinding | null {
  if (tlsWrapLoaded) return tlsWrap;
  tlsWrapLoaded = true;
  if (loadUvBinding() !== "") return null;
  process.getBuiltinModule("node:tls");
  let found: Partial<TlsWrapBinding> | null = null;
  try {
    // loadUvBinding() succeeded, so process.binding works here and warns of nothing.
    const binding = (process as unknown as { binding: (name: string) => unknown }).binding;
    found = binding.call(process, "tls_wrap") as Partial<TlsWrapBinding>;
  } catch {
    // HTTPS on this thread goes through node:tls then; plain TCP is unaffected.
  }
  tlsWrap = hasTlsWrapShape(found) ? found : null;
  return tlsWrap;
}

function hasTlsWrapShape(found: Partial<TlsWrapBinding> | null): found is TlsWrapBinding {
  if (typeof found?.wrap !== "function") return false;
  const proto = (found.TLSWrap as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  return proto !== undefined && TLS_WRAP_METHODS.every((method) => typeof proto[method] === "function");
}
