// What a server shares with its client connections (ConnectionContext) and how it sees each of them
// (ServerConnection), whatever the protocol: HTTP/1.1 (connection.ts) or HTTP/2 (h2/session.ts).

import type { Buffer } from "node:buffer";
import type { Sweeper } from "../common/sweeper.ts";
import type { EngineOptions } from "./engine-options.ts";
import type { Handler } from "./handler.ts";
import type { Response } from "./response.ts";
import type { ResponseDefaults } from "./response-defaults.ts";
import type { Transport } from "./transport.ts";

/** A client connection as its server sees it, whatever its protocol. */
export interface ServerConnection {
  /** Server shutdown: idle connections close now, busy ones after what is in flight. */
  drain(): void;
  /** Closes at once. */
  destroy(): void;
  /** Adds the responses being answered now to `out` (a reload waits for them to retire the old handlers). */
  collectResponses(out: Response[]): void;
}

/**
 * What connections share within one server. A reload may replace `handler` and `options`: a request
 * is answered by the handler current when it starts, and a connection takes new options between
 * requests.
 */
export interface ConnectionContext {
  readonly options: EngineOptions;
  readonly handler: Handler;
  readonly sweeper: Sweeper;
  /** The fields every response carries (Server…); the standard ones when absent. */
  readonly defaults?: ResponseDefaults;
  readonly closing: boolean;
  connectionClosed(connection: ServerConnection): void;
  /**
   * Takes over a connection whose first bytes are the HTTP/2 preface (h2c with prior knowledge,
   * RFC 9113 §3.3), with the bytes read so far; absent when h2c is off.
   */
  readonly upgradeToH2?: (from: ServerConnection, transport: Transport, received: Buffer) => void;
}
