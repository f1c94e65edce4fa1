// A worker thread's entry: build the handlers from the model, listen on every listener (sharing each
// port with the other workers through reusePort), log and count requests, serve until told to
// drain, then exit.
// Under `portico tcp` the worker runs the L4 proxy instead of the HTTP server, drained the same way.

import diagnosticsChannel from "node:diagnostics_channel";
import { parentPort, workerData } from "node:worker_threads";
import { LockTable } from "../common/lock-table.ts";
import { connectionCloseChannel } from "../http/events.ts";
import type { Handler } from "../http/handler.ts";
import { refuseConnection } from "../http/overload.ts";
import { HttpServer } from "../http/server.ts";
import { AccessLog } from "../observe/access-log.ts";
import { StatsRecorder } from "../observe/stats.ts";
import type { ServerModel } from "../config/load.ts";
import { buildTcpProxy, buildWorker } from "../route/build.ts";
import type { SupervisorMessage, WorkerData, WorkerMessage } from "./messages.ts";
import { C_ACTIVE_CONNECTIONS, SharedState, STATS_LAYOUT } from "./shared-memory.ts";
import { UpstreamNotices } from "./upstream-notices.ts";

const data = workerData as WorkerData;
const port = parentPort!;
const config = data.config;
const shared = new SharedState(data.shared);

/**
 * Test aid for the supervisor's crash recovery: with PORTICO_FAULT_CRASH_PATH set, a request for that
 * exact path crashes this worker thread with an uncaught exception, as a bug would.
 */
function withFaultInjection(handler: Handler): Handler {
  const crashPath = process.env.PORTICO_FAULT_CRASH_PATH;
  if (crashPath === undefined || crashPath === "") return handler;
  return {
    handle(req, res) {
      if (req.path === crashPath) {
        setImmediate(() => {
          throw new Error(`fault injection: crashing worker ${data.index}`);
        });
        return true;
      }
      return handler.handle(req, res);
    },
  };
}

function send(message: WorkerMessage): void {
  port.postMessage(message);
}

// Server-side faults met while serving files (EIO, EMFILE…): each one is written once to stderr.
diagnosticsChannel.subscribe("portico:static.error", (message) => {
  const { path, error } = message as { path: string; error: unknown };
  const detail = error instanceof Error ? error.message : String(error);
  process.stderr.write(`portico: error serving ${path === "" ? "a file" : path}: ${detail}\n`);
});

// Upstreams leaving or rejoining the rotation, and the errors behind 502/504 answers.
new UpstreamNotices(data.index, (line) => process.stderr.write(`${line}\n`)).start();

let log: AccessLog | null = null;
let stats: StatsRecorder | null = null;
// A (re)started worker zeroes its row first: counts a crashed predecessor left there are void.
const countRows = data.countRow >= 0 ? shared.joinCountRow(data.countRow) : undefined;
// Worker 0 probes the upstreams for every thread; the others read its verdicts.
const verdicts = { table: new Int32Array(data.verdicts), prober: data.index === 0 };
const servers = config.kind === "tcp" ? [buildTcpProxy(config, countRows, verdicts)] : httpServers(config);

function httpServers(config: ServerModel): HttpServer[] {
  const locks = new LockTable(shared.locks, shared.versions);
  const built = buildWorker(config, {
    locks,
    stats: shared.stats,
    statsLayout: STATS_LAYOUT,
    startedAt: data.startedAt,
    version: data.version,
    ...(countRows !== undefined ? { upstreams: countRows } : {}),
    verdicts,
    rateBuckets: shared.rateBuckets,
  });
  const servers = built.handlers.map((handler) => new HttpServer(withFaultInjection(handler), built.engine));
  const options = config.options;

  if (!options.quiet) {
    const accessLog = new AccessLog({
      format: options.logFormat,
      ...(options.accessLog !== "" ? { path: options.accessLog } : { fd: 2 }),
    });
    accessLog.start();
    log = accessLog;
    // With writes on, the log's order is the order of operations on each URI (seed 000's replay):
    // a line is on file before its URI lock is released. Without writes nothing can reorder, and
    // lines are written once per event-loop turn.
    if (config.sites.some((site) => site.routes.some((r) => r.handler.kind === "files" && r.handler.settings.writable)))
      locks.beforeRelease = () => accessLog.flush();
  }
  stats = new StatsRecorder(shared.stats, data.index, STATS_LAYOUT);
  stats.start();

  // Load shedding across all threads: one shared counter of open connections.
  if (options.maxConnections > 0) {
    const limit = options.maxConnections;
    const admit = (socket: Parameters<NonNullable<HttpServer["admit"]>>[0]): boolean => {
      if (Atomics.add(shared.control, C_ACTIVE_CONNECTIONS, 1) >= limit) {
        Atomics.sub(shared.control, C_ACTIVE_CONNECTIONS, 1);
        Atomics.add(shared.stats, data.index * STATS_LAYOUT.slots + STATS_LAYOUT.rejected, 1n);
        refuseConnection(socket);
        return false;
      }
      return true;
    };
    for (const server of servers) server.admit = admit;
    connectionCloseChannel.subscribe(() => Atomics.sub(shared.control, C_ACTIVE_CONNECTIONS, 1));
  }
  return servers;
}

port.on("message", (message: SupervisorMessage) => {
  if (message.type === "drain") {
    void Promise.all(servers.map((server) => server.close(message.graceMs))).then(() => {
      log?.flush();
      stats?.stop();
      send({ type: "drained" });
      process.exit(0);
    });
  } else if (message.type === "reopen-logs") {
    log?.reopen();
  }
});

const host = (index: number): string | undefined => {
  const h = config.kind === "tcp" ? config.host : config.listeners[index]!.host;
  return h === "" ? undefined : h;
};
const addresses: { address: string; port: number }[] = [];
for (let i = 0; i < servers.length; i++) {
  try {
    const address = await servers[i]!.listen({ port: data.ports[i]!, host: host(i), reusePort: data.reusePort });
    addresses.push({ address: address.address, port: address.port });
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    send({ type: "listen-failed", listener: i, code: err.code ?? "ERROR", message: err.message });
    process.exit(1);
  }
}
send({ type: "listening", addresses });
