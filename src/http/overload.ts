// The answer for a connection refused by load shedding: a complete 503 with Retry-After
// (RFC 9110 §15.6.4, §10.2.3), written before the request is read, and the connection closed.

import type { Socket } from "node:net";
import { dateHeaderLine } from "../common/clock.ts";

const BODY = "Service Unavailable: too many connections\n";

export function refuseConnection(socket: Socket, retryAfterSeconds = 1): void {
  const head =
    "HTTP/1.1 503 Service Unavailable\r\nServer: portico\r\n" +
    dateHeaderLine() +
    `Retry-After: ${retryAfterSeconds}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n\r\n`;
  socket.on("error", () => socket.destroy());
  socket.end(head + BODY);
  // Do not wait long for a client that never reads: the slot is already free.
  setTimeout(() => socket.destroy(), 2000).unref();
}
