// An HTTP/1.1 upstream that misbehaves on purpose, for proxy tests and bench/proxy-faults.ts: a raw TCP
// server that reads each request head and answers `200 ok`, or — with probability `faultRate` — with
// one kind of fault: a reset in the middle of the head, garbage, a head too large to parse, no answer
// at all, or a body cut short. Keeps connections alive between good answers, as real upstreams do.

import net from "node:net";

export type FaultKind = "reset-head" | "garbage" | "oversized-head" | "timeout" | "partial-body" | "reset";

export const FAULT_KINDS: readonly FaultKind[] = [
  "reset-head",
  "garbage",
  "oversized-head",
  "timeout",
  "partial-body",
  "reset",
];

export interface FaultUpstream {
  readonly port: number;
  /** Requests seen, and how many of them were answered with a fault. */
  readonly counts: { requests: number; faults: number };
  close(): Promise<void>;
}

const OK = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";

/** Writes one fault (the connection is unusable after any of them). */
function fault(socket: net.Socket, kind: FaultKind): void {
  switch (kind) {
    case "reset-head":
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: te");
      setTimeout(() => socket.resetAndDestroy(), 5);
      return;
    case "garbage":
      socket.end("\x00\x17\x03 this is not HTTP \xff\r\n\r\n");
      return;
    case "oversized-head":
      socket.end(`HTTP/1.1 200 OK\r\nX-Big: ${"b".repeat(80_000)}\r\nContent-Length: 3\r\n\r\nok\n`);
      return;
    case "timeout":
      return; // say nothing; the proxy's response timeout decides
    case "partial-body":
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\npartial");
      setTimeout(() => socket.destroy(), 5);
      return;
    case "reset":
      socket.resetAndDestroy();
      return;
  }
}

/**
 * Starts the upstream on 127.0.0.1. `kinds` are used in turn for the faults; `faultRate` 0 makes a
 * healthy upstream.
 */
export async function startFaultUpstream(faultRate: number, kinds: readonly FaultKind[]): Promise<FaultUpstream> {
  const counts = { requests: 0, faults: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let pending = Buffer.alloc(0);
    let broken = false;
    socket.on("data", (data: Buffer) => {
      if (broken) return;
      pending = Buffer.concat([pending, data]);
      // Requests without bodies (GET): a head ends each one.
      for (let end = pending.indexOf("\r\n\r\n"); end !== -1 && !broken; end = pending.indexOf("\r\n\r\n")) {
        pending = pending.subarray(end + 4);
        counts.requests++;
        if (Math.random() < faultRate) {
          broken = true;
          fault(socket, kinds[counts.faults++ % kinds.length]!);
        } else {
          socket.write(OK);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    counts,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(() => r(undefined)));
    },
  };
}
