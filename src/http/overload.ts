// The answer for a connection refused by load shedding: a complete 503 with Retry-After
// (RFC 9110 §15.6.4, §10.2.3), written before the request is read, and the connection closed.

import { wholeResponse } from "./h1-writer.ts";
import type { Transport } from "./transport.ts";

const BODY = "Service Unavailable: too many connections\n";

export function refuseConnection(transport: Transport, retryAfterSeconds = 1): void {
  const response = wholeResponse(
    503,
    ["Retry-After", String(retryAfterSeconds), "Content-Type", "text/plain; charset=utf-8"],
    BODY,
  );
  // Input is read and dropped (closing with unread bytes would reset the connection and lose the 503).
  transport.start({ received() {}, peerEnded: () => transport.closeAfterWrites(), drained() {}, closed() {} });
  transport.write(response);
  transport.end();
  // Do not wait long for a client that never reads: the slot is already free.
  setTimeout(() => transport.destroy(), 2000).unref();
}
