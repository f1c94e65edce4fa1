// The typed messages between the supervisor (main thread) and worker threads over postMessage.

import type { ServerModel, TcpConfig } from "../config/load.ts";
import type { SharedBuffers } from "./shared-memory.ts";

export interface WorkerData {
  /** An HTTP server's model, or a TCP proxy's configuration (`portico tcp`). */
  readonly config: ServerModel | TcpConfig;
  readonly index: number;
  /**
   * Port to bind per listener (the model's order; one for TCP): the configured one, or the one the
   * first worker got when 0 was asked for.
   */
  readonly ports: readonly number[];
  readonly reusePort: boolean;
  readonly shared: SharedBuffers;
  /** This worker's row of upstream counts (shared-memory.ts), or -1 when every row is taken. */
  readonly countRow: number;
  /**
   * Active health verdicts of this configuration's upstreams (Int32 per upstream slot, 1 = out of
   * rotation): worker 0 probes and writes them, every worker reads them. A reload gets a fresh one.
   */
  readonly verdicts: SharedArrayBuffer;
  readonly version: string;
  readonly startedAt: number;
}

/** Worker → supervisor. */
export type WorkerMessage =
  | { readonly type: "listening"; readonly addresses: readonly { address: string; port: number }[] }
  | { readonly type: "listen-failed"; readonly listener: number; readonly code: string; readonly message: string }
  | { readonly type: "drained" };

/** Supervisor → worker. */
export type SupervisorMessage = { readonly type: "drain"; readonly graceMs: number } | { readonly type: "reopen-logs" };
