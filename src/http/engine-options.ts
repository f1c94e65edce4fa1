// What the HTTP engine is configured with: parsing limits, body limits, the time allowed for every phase
// of a connection, and how errors are worded. Built from the command line by route/build.ts.

import type { ChunkedLimits } from "./chunked.ts";
import type { ParseLimits } from "./parse-request.ts";

export interface EngineOptions {
  readonly limits: ParseLimits;
  readonly chunkedLimits: ChunkedLimits;
  /** Largest request body accepted; larger → 413. */
  readonly maxBodyBytes: number;
  /** From accept, or from the end of the previous response, to the end of the next head; then 408. */
  readonly headersTimeoutMs: number;
  /** Longest silence while a body is being received; then 408. */
  readonly bodyTimeoutMs: number;
  /** Idle time allowed between requests on a kept-alive connection. */
  readonly keepAliveTimeoutMs: number;
  /** Longest wait for a client to take response bytes we could not hand over. */
  readonly sendTimeoutMs: number;
  /** How long a closing connection keeps reading (and discarding) so the client sees our response. */
  readonly lingerMs: number;
  /** Unread request bodies up to this size are discarded to keep the connection; larger ones close it. */
  readonly discardBodyBytes: number;
  /** Requests per connection before it is closed; 0 = unlimited. */
  readonly maxRequestsPerConnection: number;
  /** Whether error bodies name the precise problem ("Bad Request: Invalid Host field") or just the reason. */
  readonly errorDetail: boolean;
}
