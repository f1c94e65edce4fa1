// The typed messages between the supervisor (main thread) and worker threads over postMessage.

import type { Config, TcpConfig } from "../config/load.ts";
import type { TransportKind } from "../http/transport.ts";
import type { ChallengeSet } from "../tls/acme/manager.ts";
import type { CertificatePair } from "../tls/certificate.ts";
import type { SharedBuffers } from "./shared-memory.ts";
import type { TlsSnapshot } from "./tls-supervisor.ts";

export interface WorkerData {
  /** An HTTP server's config, or a TCP proxy's (`portico tcp`). */
  readonly config: Config | TcpConfig;
  readonly index: number;
  /** Port to bind: the configured one, or the one the first worker got when 0 was asked for. */
  readonly port: number;
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
  /** HTTPS: the certificates to serve and the ACME challenges under way; null for plain HTTP. */
  readonly tls: TlsSnapshot | null;
  /** The plain HTTP port beside HTTPS (--http-port, resolved when 0 was asked for); -1 for none. */
  readonly httpPort: number;
  /** The transport the supervisor chose for this configuration (the same in every worker). */
  readonly transport: TransportKind;
}

/** Worker → supervisor. */
export type WorkerMessage =
  | { readonly type: "listening"; readonly address: string; readonly port: number; readonly httpPort: number }
  | { readonly type: "tls-challenges-ready"; readonly id: number }
  | { readonly type: "listen-failed"; readonly code: string; readonly message: string }
  | { readonly type: "drained" };

/** Supervisor → worker. */
export type SupervisorMessage =
  | { readonly type: "drain"; readonly graceMs: number }
  | { readonly type: "reopen-logs" }
  | { readonly type: "tls-certificates"; readonly pairs: readonly CertificatePair[] }
  | { readonly type: "tls-challenges"; readonly id: number; readonly challenges: ChallengeSet };
