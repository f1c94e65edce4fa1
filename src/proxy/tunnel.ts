// A byte tunnel between two sockets after a protocol switch (WebSocket and other Upgrades): bytes
// flow both ways with backpressure until either side closes; a half-close is passed on, an error or
// the idle timeout closes both. Not HTTP-aware in any way.

import type net from "node:net";

export interface TunnelEnd {
  readonly socket: net.Socket;
  /** Bytes already read from this socket that belong to the other side. */
  readonly buffered: Buffer;
}

/** Joins two sockets; `closed` runs once, when both are gone. */
export function tunnel(a: TunnelEnd, b: TunnelEnd, idleMs: number, closed: () => void): void {
  const left = a.socket;
  const right = b.socket;
  let open = 2;
  const gone = (): void => {
    if (--open === 0) closed();
  };
  const fail = (): void => {
    left.destroy();
    right.destroy();
  };
  for (const s of [left, right]) {
    s.on("error", fail);
    s.once("close", () => {
      gone();
      // Nothing more can flow toward a closed socket: let the other side finish and close too.
      const other = s === left ? right : left;
      if (!other.destroyed && !other.writableEnded) other.end();
    });
    if (idleMs > 0) {
      s.setTimeout(idleMs);
      s.on("timeout", fail);
    }
  }
  if (a.buffered.length > 0) right.write(a.buffered);
  if (b.buffered.length > 0) left.write(b.buffered);
  // pipe() propagates backpressure and, on 'end', half-closes the destination.
  left.pipe(right);
  right.pipe(left);
  left.resume();
  right.resume();
}
