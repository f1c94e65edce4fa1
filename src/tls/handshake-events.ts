// Handshake outcomes of the TLS listeners, published on node:diagnostics_channel for the statistics
// (observe/stats.ts): a handshake completed (full, or resumed from a session ticket) or failed before
// completing, by kind. http/tls-listen.ts's handshakeCompleted/handshakeFailed, the one place where
// both transports' handshakes end, publish them; with nobody listening nothing is built.

import diagnosticsChannel from "node:diagnostics_channel";

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

/** A served connection's handshake completed (http/tls-listen.ts calls this, on either transport). */
export function publishHandshake(resumed: boolean): void {
  if (handshakeChannel.hasSubscribers) handshakeChannel.publish(resumed ? RESUMED : FULL);
}

/** A served connection's handshake failed with `error` (an alert, a protocol error, a reset). */
export function publishHandshakeFailure(error: unknown): void {
  if (handshakeFailureChannel.hasSubscribers) handshakeFailureChannel.publish(FAILURES[handshakeFailureKind(error)]);
}
