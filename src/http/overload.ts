// The answer for a connection refused by load shedding: a complete 503 with Retry-After
// (RFC 9110 §15.6.4, §10.2.3), written before the request is read, and the connection closed.

import { dateHeaderLine } from "../common/clock.ts";
import type { Transport } from "./transport.ts";

const BODY = "Service Unavailable: too many connections\n";

export function refuseConnection(transport: Transport, retryAfterSeconds = 1): void {
  const head =
    "HTTP/1.1 503 Service Unavailable\r\nServer: portico\r\n" +
    dateHeaderLine() +
    `Retry-After: ${retryAfterSeconds}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n\r\n`;
  // Input is read and dropped (closing with unread bytes would reset the connection and lose the 503).
  transport.start({ received() {}, peerEnded: () => transport.closeAfterWrites(), drained() {}, closed() {} });
  transport.write(head + BODY);
  transport.end();
  // Do not wait long for a client that never reads: the slot is already free.
  setTimeout(() => transport.destroy(), 2000).unref();
}
