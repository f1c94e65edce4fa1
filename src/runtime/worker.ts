// A worker thread's entry: build the site from the config, listen (sharing the port with the other
// workers through reusePort), log and count requests, serve until told to drain, then exit.
// Under `portico tcp` the worker runs the L4 proxy instead of the HTTP server, drained the same way.

import diagnosticsChannel from "node:diagnostics_channel";
import { parentPort, workerData } from "node:worker_threads";
import { LockTable } from "../common/lock-table.ts";
import { connectionCloseChannel } from "../http/events.ts";
import type { Handler } from "../http/handler.ts";
import { refuseConnection } from "../http/overload.ts";
import { TransportError } from "../http/errors.ts";
import { HttpServer } from "../http/server.ts";
import { selectTransport } from "../http/transport.ts";
import { H2Session } from "../h2/session.ts";
import { AccessLog } from "../observe/access-log.ts";
import { StatsRecorder } from "../observe/stats.ts";
import { fileCacheTotals } from "../static/file-cache.ts";
import { UpstreamStatsRecorder, upstreamEntries } from "../observe/upstream-stats.ts";
import type { Config } from "../config/load.ts";
import { buildSite, buildTcpProxy } from "../route/build.ts";
import { appErrorChannel, type AppErrorMessage, describeAppError } from "../app/events.ts";
import { HttpsRedirect } from "../route/https-redirect.ts";
import type { ChallengeSet } from "../tls/acme/manager.ts";
import { challengeDirectory } from "../tls/acme/storage.ts";
import { TlsEndpoint } from "../tls/endpoint.ts";
import type { SupervisorMessage, WorkerData, WorkerMessage } from "./messages.ts";
import { IDLE_TRIM_AFTER_MS, IdleTrimmer, trimMemory } from "./memory-trim.ts";
import {
  C_ACTIVE_CONNECTIONS,
  C_DRAINING,
  S_CONNECTIONS_TOTAL,
  S_REQUESTS,
  SharedState,
  STATS_LAYOUT,
} from "./shared-memory.ts";
import { isDescriptorShortage, OverloadNotices } from "./overload-notices.ts";
import { UpstreamNotices } from "./upstream-notices.ts";

const data = workerData as WorkerData;
const port = parentPort!;
const config = data.config;
const shared = new SharedState(data.shared);
// The supervisor chose it under the same Node and flags, so it runs here too; were this thread to
// refuse the bindings all the same, node:net serves rather than nothing.
if (selectTransport(data.transport) instanceof TransportError) selectTransport("net");

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

// Running out of file descriptors: at most one line a second per place.
const overload = new OverloadNotices(data.index, (line) => process.stderr.write(`${line}\n`));
overload.start();

// Server-side faults met while serving files (EIO…): each one is written once to stderr.
diagnosticsChannel.subscribe("portico:static.error", (message) => {
  const { path, error } = message as { path: string; error: unknown };
  if (isDescriptorShortage(error)) {
    overload.report(error.code!, `serving ${path === "" ? "a file" : path}`);
    return;
  }
  const detail = error instanceof Error ? error.message : String(error);
  process.stderr.write(`portico: error serving ${path === "" ? "a file" : path}: ${detail}\n`);
});

// Temporary upload files of stopped processes removed when a write first touched their directory.
diagnosticsChannel.subscribe("portico:static.uploads-swept", (message) => {
  const { where, files, bytes } = message as { where: string; files: number; bytes: number };
  process.stdout.write(`portico: removed ${files} temporary upload file(s) (${bytes} bytes) left in ${where}\n`);
});

// Upstreams leaving or rejoining the rotation, and the errors behind 502/504 answers.
new UpstreamNotices(data.index, (line) => process.stderr.write(`${line}\n`)).start();

// An app that threw or rejected (its request got a 500), or a rejection nobody handled: once each, with the stack.
diagnosticsChannel.subscribe(appErrorChannel.name, (message) => {
  process.stderr.write(`${describeAppError(message as AppErrorMessage)}\n`);
});

/**
 * --app: the module is imported before the site is built; a module that cannot load stops this
 * worker's start. The app code itself loads only then (its fetch classes bring undici: 2.3 MiB a thread).
 */
async function loadConfiguredApp(config: Config): Promise<Handler> {
  try {
    const [{ loadApp }, { AppHandler }] = await Promise.all([import("../app/load.ts"), import("../app/handler.ts")]);
    return new AppHandler({ app: await loadApp(config.app), tls: false, errorDetail: config.errorDetail });
  } catch (error) {
    send({ type: "listen-failed", code: "APP_LOAD", message: (error as Error).message });
    process.exit(1);
  }
}
const app = "mode" in config || config.app === "" ? undefined : await loadConfiguredApp(config);

let log: AccessLog | null = null;
let stats: StatsRecorder | null = null;
// A (re)started worker zeroes its row first: counts a crashed predecessor left there are void.
const countRows = data.countRow >= 0 ? shared.joinCountRow(data.countRow) : undefined;
// Worker 0 probes the upstreams for every thread; the others read its verdicts.
const verdicts = { table: new Int32Array(data.verdicts), prober: data.index === 0 };
// HTTPS: this thread's certificates (from the supervisor, which reads, orders and renews them) and the
// plain listener that redirects to them and answers ACME HTTP-01.
const tls = "mode" in config || data.tls === null ? null : new TlsEndpoint(data.tls.pairs, data.shared.ticketKeys);
const http01 = new Map<string, string>();
let redirect = null as HttpServer | null;
function answerChallenges(challenges: ChallengeSet): void {
  http01.clear();
  for (const [token, keyAuthorization] of challenges.http) http01.set(token, keyAuthorization);
  tls?.setChallenges(challenges.tlsAlpn);
}
if (data.tls !== null) answerChallenges(data.tls.challenges);
const server = "mode" in config ? buildTcpProxy(config, countRows, verdicts) : httpServer(config);

function httpServer(config: Config): HttpServer {
  const locks = new LockTable(shared.locks, shared.versions);
  const site = buildSite(config, {
    locks,
    stats: shared.stats,
    statsLayout: STATS_LAYOUT,
    upstreamStats: shared.upstreamStats,
    isReady: () => Atomics.load(shared.control, C_DRAINING) === 0,
    startedAt: data.startedAt,
    version: data.version,
    ...(countRows !== undefined ? { upstreams: countRows } : {}),
    verdicts,
    ...(app !== undefined ? { app } : {}),
  });
  const server = new HttpServer(withFaultInjection(site.handler), site.engine);
  server.h2 = (transport, received, ctx) => new H2Session(transport, ctx, site.h2, received);
  server.h2c = config.h2c;

  if (!config.quiet) {
    const accessLog = new AccessLog({
      format: config.logFormat,
      ...(config.accessLog !== "" ? { path: config.accessLog } : { fd: 2 }),
      ...(config.accessLog !== "" && config.accessLogMaxBytes > 0
        ? { rotate: { maxBytes: config.accessLogMaxBytes, keep: config.accessLogKeep, state: shared.logState } }
        : {}),
    });
    accessLog.start();
    log = accessLog;
    // With writes on, the log's order is the order of operations on each URI (seed 000's replay):
    // a line is on file before its URI lock is released. Without writes nothing can reorder, and
    // lines are written once per event-loop turn.
    if (config.writable) locks.beforeRelease = () => accessLog.flush();
  }
  stats = new StatsRecorder(shared.stats, data.index, STATS_LAYOUT, {
    statusPath: config.statusPath,
    fileCache: fileCacheTotals,
  });
  stats.start();
  // Per-upstream figures feed only the status path: without it, nothing listens to the proxy's tries.
  if (config.statusPath !== "" && config.proxy.length > 0) {
    const names = upstreamEntries(config.proxy).map((u) => u.upstream);
    new UpstreamStatsRecorder(shared.upstreamStats, data.index, names).start();
  }

  // Load shedding across all threads: one shared counter of open connections.
  if (config.maxConnections > 0) {
    const limit = config.maxConnections;
    server.admit = (socket) => {
      if (Atomics.add(shared.control, C_ACTIVE_CONNECTIONS, 1) >= limit) {
        Atomics.sub(shared.control, C_ACTIVE_CONNECTIONS, 1);
        Atomics.add(shared.stats, data.index * STATS_LAYOUT.slots + STATS_LAYOUT.rejected, 1n);
        refuseConnection(socket);
        return false;
      }
      return true;
    };
    connectionCloseChannel.subscribe(() => Atomics.sub(shared.control, C_ACTIVE_CONNECTIONS, 1));
  }
  return server;
}

port.on("message", (message: SupervisorMessage) => {
  if (message.type === "drain") {
    void Promise.all([server.close(message.graceMs), redirect?.close(message.graceMs)]).then(() => {
      log?.flush();
      stats?.stop();
      send({ type: "drained" });
      process.exit(0);
    });
  } else if (message.type === "reopen-logs") {
    log?.reopen();
  } else if (message.type === "tls-certificates") {
    tls?.update(message.pairs);
  } else if (message.type === "tls-challenges") {
    answerChallenges(message.challenges);
    send({ type: "tls-challenges-ready", id: message.id });
  }
});

// What loading and building grew goes back to the system before the first connection can come: a
// collection now delays nobody (one after listening blocked the first requests for tens of ms).
trimMemory();

try {
  const host = config.host === "" ? undefined : config.host;
  const address = await server.listen({
    port: data.port,
    host,
    reusePort: data.reusePort,
    ...(tls !== null ? { tls } : {}),
  });
  let httpPort = -1;
  if (server instanceof HttpServer && tls !== null && data.httpPort >= 0) {
    const shared = !("mode" in config) && config.acme ? challengeDirectory(config.dataDir) : "";
    redirect = new HttpServer(new HttpsRedirect(http01, address.port, shared), server.options);
    httpPort = (await redirect.listen({ port: data.httpPort, host, reusePort: data.reusePort })).port;
  }
  send({ type: "listening", address: address.address, port: address.port, httpPort });
  // A burst's garbage goes back once the thread is quiet again: never while requests keep coming.
  const counters = data.index * STATS_LAYOUT.slots;
  new IdleTrimmer(
    () =>
      stats === null
        ? 0
        : Number(
            Atomics.load(shared.stats, counters + S_REQUESTS) +
              Atomics.load(shared.stats, counters + S_CONNECTIONS_TOTAL),
          ),
    trimMemory,
    IDLE_TRIM_AFTER_MS / 2,
    false,
  ).start();
} catch (error) {
  const err = error as NodeJS.ErrnoException;
  send({ type: "listen-failed", code: err.code ?? "ERROR", message: err.message });
  process.exit(1);
}
