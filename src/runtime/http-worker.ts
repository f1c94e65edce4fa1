// One worker thread's HTTP side across reloads. It keeps one server (and its listening socket) per
// listener address for its whole life; a reload builds the new handlers beside the running ones,
// binds only the addresses it did not have, and on commit swaps each server's handler in place. A
// listening socket is never closed and reopened for a reload, so no connection waiting in its accept
// queue is reset (with SO_REUSEPORT each thread's socket has its own queue). Requests already
// started finish under the handlers they started with; those are closed once the last is done.

import type { Buffer } from "node:buffer";
import { LockTable } from "../common/lock-table.ts";
import { AppModules } from "./app-modules.ts";
import type { ListenerModel, ServerModel, TlsModel } from "../config/model.ts";
import { connectionCloseChannel } from "../http/events.ts";
import type { Handler } from "../http/handler.ts";
import { refuseConnection } from "../http/overload.ts";
import type { Response } from "../http/response.ts";
import { HttpServer } from "../http/server.ts";
import { DEFAULT_H2_OPTIONS, type H2Options } from "../h2/options.ts";
import type { H2Session } from "../h2/session.ts";
import type { Transport } from "../http/transport.ts";
import type { ConnectionContext } from "../http/connection-context.ts";
import { AccessLog } from "../observe/access-log.ts";
import type { CertificateSource } from "../observe/certificate-stats.ts";
import { waitForBanner } from "./output-gate.ts";
import { StatsRecorder } from "../observe/stats.ts";
import { UpstreamSlots, UpstreamStatsRecorder, upstreamEntries } from "../observe/upstream-stats.ts";
import type { EngineOptions } from "../http/engine-options.ts";
import { type Built, buildWorker, loadHandlerModules, proxyHandlersOf } from "../route/build.ts";
import { fileCacheTotals } from "../static/file-cache.ts";
import type { TlsEndpoint } from "../tls/endpoint.ts";
import type { BoundAddresses, WorkerMessage } from "./messages.ts";
import {
  C_ACTIVE_CONNECTIONS,
  C_CERTIFICATES_PENDING,
  C_DRAINING,
  type SharedState,
  STATS_LAYOUT,
} from "./shared-memory.ts";

export interface HttpWorkerOptions {
  readonly index: number;
  readonly reusePort: boolean;
  readonly shared: SharedState;
  readonly version: string;
  readonly startedAt: number;
  readonly send: (message: WorkerMessage) => void;
  /** Wraps each listener's handler (the crash test's fault injection). */
  readonly wrap: (handler: Handler) => Handler;
  /** The certificates of the model's TLS listeners (ServerModel.tls), kept across reloads; null for none. */
  readonly tls: TlsEndpoint | null;
}

/** One configuration as this thread serves it. */
interface Generation {
  readonly number: number;
  readonly config: ServerModel;
  readonly built: Built;
  /** Listener keys in the model's order, and the handler of each. */
  readonly keys: readonly string[];
  readonly handlers: readonly Handler[];
  /** The row of upstream counts its proxies add to, or -1. */
  readonly countRow: number;
}

/** A listen that failed: which listener of the model, and the error. */
export class ListenFailure extends Error {
  readonly listener: number;
  readonly code: string;
  constructor(listener: number, error: NodeJS.ErrnoException) {
    super(error.message);
    this.listener = listener;
    this.code = error.code ?? "ERROR";
  }
}

/** How often a retired configuration's in-flight requests (and upstream counts) are looked at. */
const RETIRE_POLL_MS = 100;
/** How often each upstream's idle keep-alive connections are stored for the status path. */
const IDLE_SAMPLE_MS = 1000;

export class HttpWorker {
  readonly #options: HttpWorkerOptions;
  readonly #locks: LockTable;
  #stats: StatsRecorder | null = null;
  #upstreamStats: UpstreamStatsRecorder | null = null;
  #idleSampler: NodeJS.Timeout | undefined;
  readonly #apps = new AppModules();
  /** The servers by listener key ("host|port" as configured): they outlive configurations. */
  readonly #servers = new Map<string, HttpServer>();
  #current: Generation | null = null;
  #pending: { generation: Generation; opened: Map<string, HttpServer> } | null = null;
  #log: AccessLog | null = null;
  #logKey = "";
  /** The HTTP/2 limits of the current configuration: a session takes them when it starts. */
  #h2Options: H2Options = DEFAULT_H2_OPTIONS;
  /**
   * The HTTP/2 engine, loaded by the first configuration that can speak it (h2c, or TLS where ALPN
   * may choose h2): a thread serving HTTP/1.1 alone never loads it.
   */
  #h2Session: typeof H2Session | null = null;
  readonly #h2 = (transport: Transport, received: Buffer, ctx: ConnectionContext): H2Session =>
    new this.#h2Session!(transport, ctx, this.#h2Options, received);
  /** --max-connections of the current configuration (0: unlimited); every connection is counted. */
  #maxConnections = 0;
  /** A log on stdout/stderr starts once the banner is out (output-gate.ts). */
  readonly #waitForBanner = (): void => waitForBanner(this.#options.shared.control);

  constructor(options: HttpWorkerOptions) {
    this.#options = options;
    const shared = options.shared;
    this.#locks = new LockTable(shared.locks, shared.versions);
    // Load shedding across all threads: one shared counter of open connections, kept whatever the
    // limit (a reload may set one, and the count must then be right).
    connectionCloseChannel.subscribe(() => Atomics.sub(shared.control, C_ACTIVE_CONNECTIONS, 1));
  }

  /** The first configuration: builds it and listens on every listener. Throws a ListenFailure. */
  async start(config: ServerModel, ports: readonly number[], countRow: number, verdicts: SharedArrayBuffer) {
    const generation = await this.#build(0, config, countRow, verdicts);
    // The status path's own requests are counted apart: the first configuration's path.
    this.#stats = new StatsRecorder(this.#options.shared.stats, this.#options.index, STATS_LAYOUT, {
      statusPath: config.options.statusPath,
      fileCache: fileCacheTotals,
      routeStats: this.#options.shared.routeStats,
    });
    this.#stats.start();
    const opened = await this.#open(generation, ports);
    for (const [key, server] of opened) this.#servers.set(key, server);
    this.#current = generation;
    this.#applyServerWide(config);
    return this.#addresses(generation, opened);
  }

  /**
   * Builds a new configuration beside the running one and binds the listeners it adds (they serve it
   * at once: nothing else listens there). Throws a ListenFailure, or an Error when building fails.
   */
  async prepare(
    number: number,
    config: ServerModel,
    ports: readonly number[],
    countRow: number,
    verdicts: SharedArrayBuffer,
  ): Promise<BoundAddresses> {
    this.abort();
    const generation = await this.#build(number, config, countRow, verdicts);
    let opened: Map<string, HttpServer>;
    try {
      opened = await this.#open(generation, ports);
    } catch (error) {
      generation.built.close();
      throw error;
    }
    this.#pending = { generation, opened };
    return this.#addresses(generation, opened);
  }

  /** Serves the prepared configuration from now on; the replaced one retires once its requests are done. */
  commit(number: number): void {
    const pending = this.#pending;
    if (pending === null || pending.generation.number !== number) return;
    this.#pending = null;
    const next = pending.generation;
    const old = this.#current;
    const graceMs = next.config.options.shutdownGraceMs;
    // Every response under way now was started by the old handlers.
    const inFlight: Response[] = [];
    for (const [key, server] of this.#servers) {
      for (const res of server.responsesInFlight()) inFlight.push(res);
      const i = next.keys.indexOf(key);
      if (i !== -1) {
        server.reconfigure(next.handlers[i]!, next.built.engine);
        server.h2c = next.config.options.h2c;
      } else {
        // An address the new configuration does not listen on: it drains like a shutdown.
        this.#servers.delete(key);
        void server.close(graceMs);
      }
    }
    for (const [key, server] of pending.opened) this.#servers.set(key, server);
    this.#current = next;
    this.#applyServerWide(next.config);
    if (old !== null) this.#retire(old, inFlight, graceMs);
  }

  /** Drops a prepared configuration that will not be committed (another worker could not prepare it). */
  abort(): void {
    const pending = this.#pending;
    if (pending === null) return;
    this.#pending = null;
    for (const server of pending.opened.values()) void server.close(0);
    pending.generation.built.close();
  }

  /** Stops accepting everywhere, lets in-flight responses finish within `graceMs`. */
  async drain(graceMs: number): Promise<void> {
    this.abort();
    await Promise.all([...this.#servers.values()].map((server) => server.close(graceMs)));
    this.#log?.flush();
    this.#stats?.stop();
    this.#upstreamStats?.stop();
    if (this.#idleSampler !== undefined) clearInterval(this.#idleSampler);
  }

  /** The engine options of the configuration served now (the HTTPS redirect listener takes them). */
  get engine(): EngineOptions {
    return this.#current!.built.engine;
  }

  reopenLogs(): void {
    this.#log?.reopen();
  }

  async #build(
    number: number,
    config: ServerModel,
    countRow: number,
    verdicts: SharedArrayBuffer,
  ): Promise<Generation> {
    const o = this.#options;
    if (this.#h2Session === null && (config.options.h2c || config.tls !== null))
      this.#h2Session = (await import("../h2/session.ts")).H2Session;
    // Before anything is claimed: an app that cannot load fails the start (or the reload) alone.
    const apps = await this.#apps.handlers(config);
    const modules = await loadHandlerModules(config);
    const countRows = countRow >= 0 ? o.shared.joinCountRow(countRow) : undefined;
    const built = buildWorker(config, {
      locks: this.#locks,
      stats: o.shared.stats,
      statsLayout: STATS_LAYOUT,
      startedAt: o.startedAt,
      version: o.version,
      ...(countRows !== undefined ? { upstreams: countRows } : {}),
      upstreamStats: { rows: o.shared.upstreamStats, slots: o.shared.upstreamSlots },
      routeStats: { rows: o.shared.routeStats, slots: o.shared.routeSlots },
      ...(o.tls !== null && config.tls !== null ? { certificates: certificateSource(o.tls, config.tls) } : {}),
      unready: () =>
        Atomics.load(o.shared.control, C_DRAINING) !== 0
          ? "shutting down"
          : Atomics.load(o.shared.control, C_CERTIFICATES_PENDING) !== 0
            ? "waiting for certificates"
            : "",
      // Worker 0 probes the upstreams for every thread; the others read its verdicts.
      verdicts: { table: new Int32Array(verdicts), prober: o.index === 0 },
      rateBuckets: o.shared.rateBuckets,
      apps,
      modules,
    });
    return {
      number,
      config,
      built,
      keys: config.listeners.map(listenerKey),
      handlers: built.handlers.map((h) => o.wrap(h)),
      countRow,
    };
  }

  /** Servers for the generation's listeners that no running server has, listening; all or none. */
  async #open(generation: Generation, ports: readonly number[]): Promise<Map<string, HttpServer>> {
    const opened = new Map<string, HttpServer>();
    const listeners = generation.config.listeners;
    for (let i = 0; i < listeners.length; i++) {
      const key = generation.keys[i]!;
      if (this.#servers.has(key)) continue;
      const server = new HttpServer(generation.handlers[i]!, generation.built.engine);
      server.admit = this.#admit;
      server.h2 = this.#h2;
      server.h2c = generation.config.options.h2c;
      try {
        const tls = generation.config.tls?.listeners.includes(i) === true ? this.#options.tls : null;
        await server.listen({
          port: ports[i]!,
          host: hostOf(listeners[i]!),
          reusePort: this.#options.reusePort,
          ...(tls !== null ? { tls } : {}),
        });
      } catch (error) {
        for (const s of opened.values()) void s.close(0);
        throw new ListenFailure(i, error as NodeJS.ErrnoException);
      }
      opened.set(key, server);
    }
    return opened;
  }

  #addresses(generation: Generation, opened: ReadonlyMap<string, HttpServer>): BoundAddresses {
    return generation.keys.map((key) => {
      const a = (opened.get(key) ?? this.#servers.get(key))!.address!;
      return { address: a.address, port: a.port };
    });
  }

  /** What is not per listener: the access log, load shedding, the log's place in coherent writes. */
  #applyServerWide(config: ServerModel): void {
    const o = config.options;
    this.#maxConnections = o.maxConnections;
    this.#h2Options = this.#current?.built.h2 ?? DEFAULT_H2_OPTIONS;
    const rotate = o.accessLog !== "" && o.accessLogMaxBytes > 0;
    const logKey = o.quiet
      ? ""
      : `${o.logFormat}\u0000${o.accessLog}\u0000${rotate ? o.accessLogMaxBytes : 0}/${o.accessLogKeep}/${o.accessLogRotateName}/${o.accessLogGzip}`;
    if (logKey !== this.#logKey) {
      this.#logKey = logKey;
      const previous = this.#log;
      this.#log = null;
      if (previous !== null) {
        previous.flush();
        previous.stop();
      }
      if (!o.quiet) {
        const log = new AccessLog({
          format: o.logFormat,
          ...(o.accessLog !== "" ? { path: o.accessLog } : { fd: 2, beforeFirstLine: this.#waitForBanner }),
          ...(rotate
            ? {
                rotate: {
                  maxBytes: o.accessLogMaxBytes,
                  keep: o.accessLogKeep,
                  state: this.#options.shared.logState,
                  naming: o.accessLogRotateName,
                  gzip: o.accessLogGzip,
                },
              }
            : {}),
        });
        log.start();
        this.#log = log;
      }
    }
    // With writes on, the log's order is the order of operations on each URI (seed 000's replay): a
    // line is on file before its URI lock is released. Without writes nothing can reorder, and lines
    // are written once per event-loop turn.
    const log = this.#log;
    const writable = config.sites.some((site) =>
      site.routes.some((r) => r.handler.kind === "files" && r.handler.settings.writable),
    );
    this.#locks.beforeRelease = log !== null && writable ? () => log.flush() : null;
    // Per-upstream figures feed only the status path: without it, nothing listens to the proxy's tries.
    // Each upstream counts under its registry slot (its "host:port"), whatever its place in the list.
    const entries =
      o.statusPath === ""
        ? []
        : upstreamEntries(proxyHandlersOf(config), new UpstreamSlots(this.#options.shared.upstreamSlots));
    if (entries.length === 0) {
      this.#upstreamStats?.stop();
    } else {
      if (this.#upstreamStats === null) {
        const recorder = new UpstreamStatsRecorder(this.#options.shared.upstreamStats, this.#options.index);
        this.#upstreamStats = recorder;
        // Idle keep-alive connections are sampled (a pool changes on every request), from the
        // configuration served now.
        this.#idleSampler = setInterval(() => {
          const current = this.#current;
          if (current !== null) recorder.sampleIdle(current.built.idle());
        }, IDLE_SAMPLE_MS);
        this.#idleSampler.unref();
      }
      this.#upstreamStats.configure(entries);
      this.#upstreamStats.start();
    }
  }

  readonly #admit = (transport: Transport): boolean => {
    const control = this.#options.shared.control;
    const count = Atomics.add(control, C_ACTIVE_CONNECTIONS, 1);
    const limit = this.#maxConnections;
    if (limit > 0 && count >= limit) {
      Atomics.sub(control, C_ACTIVE_CONNECTIONS, 1);
      const o = this.#options;
      Atomics.add(o.shared.stats, o.index * STATS_LAYOUT.slots + STATS_LAYOUT.rejected, 1n);
      refuseConnection(transport);
      return false;
    }
    return true;
  };

  /**
   * A replaced configuration: it leaves the upstream-count sum at once (the new one counts afresh);
   * its handlers close once every response it started is done (or the grace period is over) and its
   * row of counts is back to zero (a WebSocket tunnel it opened still counts), and the supervisor
   * then frees the row.
   */
  #retire(old: Generation, inFlight: readonly Response[], graceMs: number): void {
    const shared = this.#options.shared;
    if (old.countRow >= 0) shared.leaveCountRow(old.countRow);
    const deadline = Date.now() + graceMs;
    let closed = false;
    const check = (): void => {
      if (!closed && (inFlight.every((r) => r.finished) || Date.now() >= deadline)) {
        closed = true;
        old.built.close();
      }
      if (closed && (old.countRow < 0 || shared.isCountRowIdle(old.countRow))) {
        this.#options.send({ type: "retired", countRow: old.countRow });
        return;
      }
      setTimeout(check, RETIRE_POLL_MS).unref();
    };
    check();
  }
}

/** The certificates the endpoint serves now, and where they come from (the model's HTTPS). */
function certificateSource(endpoint: TlsEndpoint, tls: TlsModel): CertificateSource {
  return {
    current: () => endpoint.store.pairs,
    files: tls.certFiles.length,
    acme: tls.acme,
    internal: tls.tlsInternal,
  };
}

function listenerKey(listener: ListenerModel): string {
  return `${listener.host}|${listener.port}`;
}

function hostOf(listener: ListenerModel): string | undefined {
  return listener.host === "" ? undefined : listener.host;
}
