// Handshake outcomes of the TLS listeners, published on node:diagnostics_channel for the statistics
// (observe/stats.ts): a handshake completed (full, or resumed from a session ticket) or failed before
// completing, by kind. One call per accepted connection wires it, on a TLSWrap (http/uv-tls-accept.ts)
// or a tls.TLSSocket (http/net-tls-accept.ts); with nobody listening it wires nothing.

import diagnosticsChannel from "node:diagnostics_channel";
import type tls from "node:tls";

export interface HandshakeMessage {
  readonly resumed: boolean;
}

export interface HandshakeFailureMessage {
  /** An index into HANDSHAKE_FAILURE_KINDS. */
  readonly kind: number;
}

/** Why handshakes fail, from OpenSSL's error codes; cheap to tell apart and what an operator acts on. */
export const HANDSHAKE_FAILURE_KINDS = ["version", "cipher", "certificate", "reset", "other"] as const;

export const handshakeChannel = diagnosticsChannel.channel("portico:tls.handshake");
export const handshakeFailureChannel = diagnosticsChannel.channel("portico:tls.handshake.failure");

// The messages carry no per-connection data: one object each, never one per handshake.
const FULL: HandshakeMessage = Object.freeze({ resumed: false });
const RESUMED: HandshakeMessage = Object.freeze({ resumed: true });
const FAILURES: readonly HandshakeFailureMessage[] = HANDSHAKE_FAILURE_KINDS.map((_, kind) => Object.freeze({ kind }));

/** The failure kind of an error a handshake ended with. */
export function handshakeFailureKind(error: unknown): number {
  const code = String((error as { code?: unknown } | null)?.code ?? "");
  if (/VERSION|UNSUPPORTED_PROTOCOL|INAPPROPRIATE_FALLBACK/.test(code)) return 0;
  if (/NO_SHARED|NO_SUITABLE|NO_CIPHER|SIGNATURE_ALGORITHM|HANDSHAKE_FAILURE/.test(code)) return 1;
  if (/CERTIFICATE|UNKNOWN_CA|BAD_CERT/.test(code)) return 2;
  if (code === "ECONNRESET" || code === "EPIPE") return 3;
  return 4;
}

/** The TLSWrap a handle carries (http/uv-binding.ts): what this file sets and calls on it. */
interface WatchedWrap {
  onerror: (this: WatchedWrap, error: unknown) => void;
  onhandshakedone?: (this: WatchedWrap) => void;
  isSessionReused(): boolean;
  /** Set once the handshake is done: later errors are not handshake failures. */
  handshakeDone?: boolean;
  /** The transport's own error handler, called after counting. */
  handshakeOnError?: (this: WatchedWrap, error: unknown) => void;
}

function isWatched(): boolean {
  return handshakeChannel.hasSubscribers || handshakeFailureChannel.hasSubscribers;
}

/** Counts the handshake of a server TLSWrap: call once its `onerror` is set. */
export function watchWrapHandshake(wrap: object): void {
  if (!isWatched()) return;
  const w = wrap as WatchedWrap;
  w.handshakeDone = false;
  w.handshakeOnError = w.onerror;
  w.onerror = onWrapError;
  // TLSWrap calls it (as a method of the wrap) when OpenSSL reports SSL_CB_HANDSHAKE_DONE.
  w.onhandshakedone = onWrapHandshakeDone;
}

function onWrapHandshakeDone(this: WatchedWrap): void {
  // TLS 1.3 reports post-handshake messages the same way: the first report is the handshake.
  if (this.handshakeDone === true) return;
  this.handshakeDone = true;
  handshakeChannel.publish(this.isSessionReused() ? RESUMED : FULL);
}

function onWrapError(this: WatchedWrap, error: unknown): void {
  if (this.handshakeDone === false) {
    this.handshakeDone = true;
    handshakeFailureChannel.publish(FAILURES[handshakeFailureKind(error)]);
  }
  this.handshakeOnError?.call(this, error);
}

/** Counts the handshake of a server tls.TLSSocket ("secure" once done, "error" before that). */
export function watchSocketHandshake(socket: tls.TLSSocket): void {
  if (!isWatched()) return;
  socket.once("secure", onSocketSecure);
  socket.on("error", onSocketError);
}

function onSocketSecure(this: tls.TLSSocket): void {
  this.off("error", onSocketError);
  handshakeChannel.publish(this.isSessionReused() ? RESUMED : FULL);
}

function onSocketError(this: tls.TLSSocket, error: unknown): void {
  this.off("error", onSocketError);
  this.off("secure", onSocketSecure);
  handshakeFailureChannel.publish(FAILURES[handshakeFailureKind(error)]);
}
