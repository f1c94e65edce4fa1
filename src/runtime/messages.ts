// The typed messages between the supervisor (main thread) and worker threads over postMessage. A
// reload is two-phase: every running worker prepares the new configuration (builds its handlers,
// binds the listeners it did not have), then all commit together (or all abort).

import type { ServerModel, TcpConfig } from "../config/load.ts";
import type { TransportKind } from "../http/transport.ts";
import type { ChallengeSet } from "../tls/acme/manager.ts";
import type { CertificatePair } from "../tls/certificate.ts";
import type { SharedBuffers } from "./shared-memory.ts";
import type { TlsSnapshot } from "./tls-supervisor.ts";

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
   * rotation): worker 0 probes and writes them, every worker reads them. A reload brings a fresh one.
   */
  readonly verdicts: SharedArrayBuffer;
  readonly version: string;
  readonly startedAt: number;
  /** HTTPS: the certificates to serve and the ACME challenges under way; null for plain HTTP. */
  readonly tls: TlsSnapshot | null;
  /** The plain HTTP port beside HTTPS (--http-port, resolved when 0 was asked for); -1 for none. */
  readonly httpPort: number;
  /** The transport the supervisor chose at start (the same in every worker, for the process's life). */
  readonly transport: TransportKind;
}

/** Where a worker's listeners are bound, in the model's order. */
export type BoundAddresses = readonly { readonly address: string; readonly port: number }[];

/** Worker → supervisor. */
export type WorkerMessage =
  /** `httpPort`: the plain HTTP listener beside HTTPS (--http-port), -1 for none. */
  | { readonly type: "listening"; readonly addresses: BoundAddresses; readonly httpPort: number }
  | { readonly type: "tls-challenges-ready"; readonly id: number }
  | { readonly type: "listen-failed"; readonly listener: number; readonly code: string; readonly message: string }
  | { readonly type: "prepared"; readonly generation: number; readonly addresses: BoundAddresses }
  /** `listener` -1: building the handlers failed (`message` says why). */
  | {
      readonly type: "prepare-failed";
      readonly generation: number;
      readonly listener: number;
      readonly code: string;
      readonly message: string;
    }
  /** A replaced configuration's last in-flight request is done and its handlers are closed. */
  | { readonly type: "retired"; readonly countRow: number }
  | { readonly type: "drained" };

/** Supervisor → worker. */
export type SupervisorMessage =
  | { readonly type: "drain"; readonly graceMs: number }
  | { readonly type: "reopen-logs" }
  | {
      readonly type: "prepare";
      readonly generation: number;
      readonly config: ServerModel;
      readonly ports: readonly number[];
      readonly countRow: number;
      readonly verdicts: SharedArrayBuffer;
    }
  | { readonly type: "commit"; readonly generation: number }
  | { readonly type: "abort"; readonly generation: number }
  | { readonly type: "tls-certificates"; readonly pairs: readonly CertificatePair[] }
  | { readonly type: "tls-challenges"; readonly id: number; readonly challenges: ChallengeSet };
