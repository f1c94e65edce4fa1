// The main thread: spawns the worker threads, prints where Portico listens, replaces a worker that
// crashes (with back-off), on SIGHUP (or --watch) re-reads the configuration and hands it to the
// running workers in place without dropping a connection (reload.ts runs the workers' side of it),
// and on SIGINT/SIGTERM drains every worker before exiting 0. It serves nothing itself and holds no
// request state.

import { Worker } from "node:worker_threads";
import { siblingModule } from "../common/module-url.ts";
import type { ServerModel, TcpConfig } from "../config/load.ts";
import type { TransportChoice } from "../http/transport.ts";
import { OneAtATime } from "../static/upload-files.ts";
import type { ChallengeSet } from "../tls/acme/manager.ts";
import { assertPortFree, chooseTransport, graceOf, listenersOf, workerFailure } from "./listening.ts";
import { type BannerListener, bannerListeners } from "./banner.ts";
import type { BoundAddresses, SupervisorMessage, WorkerData, WorkerMessage } from "./messages.ts";
import { OutputGate } from "./output-gate.ts";
import { type ReloadHost, reloadRefusal, reloadWorkers, resizeWorkers, type Slot } from "./reload.ts";
import { C_DRAINING, newVerdicts, SharedState } from "./shared-memory.ts";
import { trimMemory } from "./memory-trim.ts";
import { sweepWritableRoots } from "./upload-sweeps.ts";
import type { TlsSupervisor } from "./tls-supervisor.ts";

const WORKER_URL = siblingModule("worker", import.meta.url);
const RESTART_MIN_MS = 100;
/**
 * A worker's young generation (V8 sizes it as 3 semi-spaces): 12 MiB = 4 MiB semi-spaces. V8's
 * default lets them grow to 16 MiB each when requests make garbage fast, and that memory stays
 * resident: measured with 10,000 idle connections that each served one request, 1.9 KiB per
 * connection by default and 1.1 KiB with 4 MiB, at the same CPU per request (4.8 µs, 1 KiB file).
 * Smaller is not worth it: 1 MiB semi-spaces would keep 2.7 MiB less per idle thread but scavenge 4×
 * as often (0.37 against 0.07 µs of collection per 1 KiB request, measured single-threaded); what an
 * idle thread does not need is given back by memory-trim.ts instead.
 */
const YOUNG_GENERATION_MB = 12;
const RESTART_MAX_MS = 5000;
const STABLE_AFTER_MS = 10_000;

export interface StartOptions {
  /**
   * The banner (stdout) printed once every worker listens (runtime/banner.ts); null prints nothing.
   * `transport` names how connections are driven ("uv", or "net" and why when auto fell back); "" for
   * `portico tcp`, always on node:net. Workers' output waits until it is out (runtime/output-gate.ts).
   */
  readonly banner: ((listeners: BannerListener[], threads: number, transport: string) => string) | null;
  /** Where notices go (restarts, warnings). */
  readonly notice: (line: string) => void;
  readonly version: string;
  /** Reads the configuration again (SIGHUP); throws a ConfigError when it is invalid. */
  readonly reload?: () => Promise<ServerModel | TcpConfig>;
}

export class Supervisor {
  #config: ServerModel | TcpConfig;
  readonly #options: StartOptions;
  #slots: Slot[] = [];
  /** This configuration's active health verdicts; a reload's configuration gets its own. */
  #verdicts = newVerdicts();
  #reloading = false;
  /** A reload was asked for while one ran: run another once it is done (the file changed again). */
  #reloadAgain = false;
  #generation = 0;
  /** The configuration a reload is preparing (named in its failures), or null. */
  #nextConfig: ServerModel | null = null;
  /** The port each listener is bound to (the model's order), 0 ones resolved by the first worker. */
  #ports: number[] = [];
  #reusePort = true;
  #draining = false;
  /**
   * The transport, chosen here once at start so every worker runs the same one; kept for the process's
   * life, since a reload in place keeps the listening sockets (and the transport they accept with).
   */
  #transport: TransportChoice = { kind: "net", reason: "" };
  /** A shutdown signal arrived (the --shutdown-delay may still be running). */
  #stopping = false;
  readonly shared = SharedState.create();
  readonly #startedAt = Date.now();
  /** Thread ids of running workers: a temporary upload file of any other thread of ours is abandoned. */
  readonly #liveThreads = new Set<number>();
  /** Sweeps of temporary upload files, one at a time. */
  readonly #sweeps = new OneAtATime(() => this.#sweepUploads());
  /** HTTPS certificates, ACME and the local CA (main thread); null for plain HTTP. */
  #tls: TlsSupervisor | null = null;
  #httpPort = -1;
  #challengeId = 0;
  readonly #challengeAcks = new Map<number, () => void>();
  /** Workers' stdout and stderr, held until the banner is out. */
  readonly #output: OutputGate;
  /** This thread's notices (ACME, the local CA, warnings) come after the banner too (output-gate.ts). */
  readonly #notice = (line: string): void => this.#output.notice(line, this.#options.notice);

  constructor(config: ServerModel | TcpConfig, options: StartOptions) {
    this.#config = config;
    this.#options = options;
    this.#output = new OutputGate(this.shared.control);
  }

  /** Starts all workers; resolves once every one listens, rejects (with a one-line reason) if one cannot. */
  async start(): Promise<void> {
    try {
      await this.#start();
    } catch (error) {
      // What the workers said before failing explains the failure: out before the reason.
      this.#output.open();
      throw error;
    }
  }

  async #start(): Promise<void> {
    this.#transport = chooseTransport(this.#config);
    let threads = this.#config.threads;
    if (process.platform !== "linux" && threads > 1) {
      this.#notice(
        `portico: several threads need SO_REUSEPORT, which ${process.platform} lacks here; running 1 worker thread`,
      );
      threads = 1;
    }
    // Always on Linux, so a reload's added threads can bind beside the running ones.
    this.#reusePort = process.platform === "linux";
    // SO_REUSEPORT would also let us bind beside another process (a second Portico, an old one left
    // running) and silently split its traffic with it: every port must be free before we share it.
    const listeners = listenersOf(this.#config);
    if (this.#reusePort) for (const l of listeners) if (l.port !== 0) await assertPortFree(l.host, l.port, l.name);
    const config = this.#config;
    if (config.kind === "http" && config.tls !== null) {
      const tls = config.tls;
      const host = config.listeners[tls.listeners[0]!]?.host ?? "";
      const named = `${config.file === "" ? "--http-port" : "http_port"} ${tls.httpPort}`;
      if (this.#reusePort && tls.httpPort > 0) await assertPortFree(host, tls.httpPort, named);
      this.#httpPort = tls.httpPort;
      // Session tickets: one key ring for every thread, a new key every ROTATE_MS (tls/ticket-keys.ts).
      // Only with HTTPS (a reload cannot turn it on): TLS code and node:crypto load only then.
      const { ROTATE_MS, rotateTicketKey } = await import("../tls/ticket-keys.ts");
      const ring = this.shared.buffers.ticketKeys;
      rotateTicketKey(ring);
      setInterval(() => rotateTicketKey(ring), ROTATE_MS).unref();
      const { TlsSupervisor } = await import("./tls-supervisor.ts");
      this.#tls = new TlsSupervisor(tls, {
        notice: this.#notice,
        version: this.#options.version,
        certificatesChanged: (pairs) => this.#broadcast({ type: "tls-certificates", pairs }),
        control: this.shared.control,
        publishChallenges: (challenges) => this.#publishChallenges(challenges),
      });
      await this.#tls.start();
    }
    // The first worker binds first so port 0 resolves to one real port the others then share.
    const first = await this.#spawn(
      0,
      listeners.map((l) => l.port),
    );
    this.#ports = first.map((a) => a.port);
    const rest: Array<Promise<unknown>> = [];
    for (let i = 1; i < threads; i++) rest.push(this.#spawn(i, this.#ports));
    await Promise.all(rest);
    // Before the banner: whoever reads it may signal at once, and a signal with no handler yet kills.
    process.on("SIGINT", () => void this.shutdown("SIGINT"));
    process.on("SIGTERM", () => void this.shutdown("SIGTERM"));
    // Log rotation: every worker re-opens its --access-log file.
    process.on("SIGUSR1", () => this.#broadcast({ type: "reopen-logs" }));
    process.on("SIGHUP", () => void this.reload());
    if (this.#options.banner !== null) {
      const { kind, reason } = this.#transport;
      let transport = this.#config.kind === "tcp" ? "" : reason === "" ? kind : `${kind}: ${reason}`;
      // The HTTPS listener alone falls back to node:tls where tls_wrap is unusable (http/transport.ts).
      // Asked only with HTTPS on: the check loads node:tls, which a plain HTTP server never needs.
      if (this.#tls !== null && kind === "uv" && !(await import("../http/uv-tls-accept.ts")).canWrapTls())
        transport += ", TLS on net: tls_wrap unusable";
      process.stdout.write(
        `${this.#options.banner(
          bannerListeners(this.#config, first, this.#httpPort, this.#tls?.rootFile ?? ""),
          threads,
          transport,
        )}\n`,
      );
    }
    this.#output.open();
    this.#sweeps.request();
    // This thread serves nothing: what start-up grew goes back to the system now.
    setImmediate(trimMemory);
  }

  /** Removes upload files stopped processes left under the writable roots (upload-sweeps.ts). */
  #sweepUploads(): Promise<void> {
    return sweepWritableRoots(this.#config, (thread) => this.#liveThreads.has(thread), this.#notice);
  }

  /** The first listener's port. */
  get port(): number {
    return this.#ports[0] ?? 0;
  }

  /** Has every worker answer `challenges`; resolves once each says it does (or after 5 s). */
  #publishChallenges(challenges: ChallengeSet): Promise<void> {
    const id = ++this.#challengeId;
    const workers = this.#slots.filter((slot) => slot.worker !== null);
    if (workers.length === 0) return Promise.resolve();
    let waiting = workers.length;
    return new Promise((resolve) => {
      const timer = setTimeout(done, 5000);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#challengeAcks.set(id, () => {
        if (--waiting === 0) {
          this.#challengeAcks.delete(id);
          done();
        }
      });
      for (const slot of workers)
        slot.worker!.postMessage({ type: "tls-challenges", id, challenges } satisfies SupervisorMessage);
    });
  }

  #spawn(index: number, ports: readonly number[]): Promise<BoundAddresses> {
    const countRow = this.shared.claimCountRow();
    const config = this.#config;
    const data: WorkerData = {
      countRow,
      verdicts: this.#verdicts,
      config,
      index,
      ports,
      reusePort: this.#reusePort,
      shared: this.shared.buffers,
      version: this.#options.version,
      startedAt: this.#startedAt,
      tls: this.#tls?.snapshot ?? null,
      httpPort: this.#httpPort,
      transport: this.#transport.kind,
    };
    const worker = new Worker(WORKER_URL, {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      stdout: true,
      stderr: true,
    });
    this.#output.attach(worker);
    const slot: Slot = this.#slots[index] ?? {
      index,
      worker: null,
      startedAt: 0,
      backoffMs: RESTART_MIN_MS,
      retired: false,
      countRow: -1,
      rows: new Set<number>(),
      prepared: null,
    };
    this.#slots[index] = slot;
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.retired = false;
    slot.countRow = countRow;
    const rows = new Set<number>(countRow === -1 ? [] : [countRow]);
    slot.rows = rows;
    const thread = worker.threadId;
    this.#liveThreads.add(thread);
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.on("message", (message: WorkerMessage) => {
        switch (message.type) {
          case "listening":
            listening = true;
            // --http-port 0: the first worker's port, which the others then share.
            if (message.httpPort >= 0) this.#httpPort = message.httpPort;
            resolve(message.addresses);
            return;
          case "tls-challenges-ready":
            this.#challengeAcks.get(message.id)?.();
            return;
          case "listen-failed":
            reject(new Error(workerFailure(config, message, ports)));
            return;
          case "prepared":
            if (slot.prepared?.generation !== message.generation) return;
            slot.prepared.resolve(message.addresses);
            slot.prepared = null;
            return;
          case "prepare-failed":
            if (slot.prepared?.generation !== message.generation) return;
            slot.prepared.reject(new Error(workerFailure(this.#nextConfig ?? config, message, ports)));
            slot.prepared = null;
            return;
          case "retired":
            if (message.countRow !== -1 && rows.delete(message.countRow)) this.shared.releaseCountRow(message.countRow);
            return;
        }
      });
      worker.on("error", (error) => {
        if (!listening) reject(new Error(`worker ${index} failed to start: ${error.message}`));
        else this.#notice(`portico: worker ${index} crashed: ${error.stack ?? error.message}`);
      });
      worker.on("exit", (code) => {
        if (slot.worker === worker) slot.worker = null;
        for (const row of rows) this.shared.releaseCountRow(row);
        rows.clear();
        slot.prepared?.reject(new Error(`worker ${index} exited (code ${code})`));
        slot.prepared = null;
        this.#liveThreads.delete(thread);
        // A worker that died mid-upload left its temporary file behind.
        if (code !== 0) this.#sweeps.request();
        if (!listening) {
          reject(new Error(`worker ${index} exited with code ${code} before listening`));
          return;
        }
        if (!this.#draining && !slot.retired) this.#restart(slot, code);
      });
    });
  }

  #restart(slot: Slot, code: number): void {
    if (Date.now() - slot.startedAt > STABLE_AFTER_MS) slot.backoffMs = RESTART_MIN_MS;
    const delay = slot.backoffMs;
    slot.backoffMs = Math.min(RESTART_MAX_MS, slot.backoffMs * 2);
    this.#notice(`portico: worker ${slot.index} exited (code ${code}); restarting in ${delay} ms`);
    // The timer stays referenced: with one worker thread it is all that keeps the process alive until
    // the replacement starts (unreferenced, the process exited instead of restarting the worker).
    const respawn = (): void => {
      if (this.#draining || slot.retired) return;
      // A reload under way would not reach a worker started in its middle: start it after, with the
      // configuration the reload leaves.
      if (this.#reloading) {
        setTimeout(respawn, RESTART_MIN_MS);
        return;
      }
      this.#spawn(slot.index, this.#ports).catch((error: Error) => {
        this.#notice(`portico: could not restart worker ${slot.index}: ${error.message}`);
        if (!this.#draining && slot.worker === null) this.#restart(slot, 1);
      });
    };
    setTimeout(respawn, delay);
  }

  /**
   * SIGHUP (and --watch): reads the configuration again and, when it is valid, hands it to the running
   * workers in place. Every worker first prepares it (builds the handlers, binds the addresses it
   * adds), then all commit at once; if any cannot, all abort and the running configuration stays.
   * The listening sockets stay open throughout, so no connection is refused or reset; requests under
   * way finish under the configuration they started with. Asked again while running, it runs once more.
   */
  async reload(): Promise<void> {
    if (this.#options.reload === undefined || this.#draining) return;
    if (this.#reloading) {
      this.#reloadAgain = true;
      return;
    }
    this.#reloading = true;
    try {
      do {
        this.#reloadAgain = false;
        await this.#reloadOnce();
      } while (this.#reloadAgain && !this.#draining);
    } finally {
      this.#reloading = false;
    }
  }

  async #reloadOnce(): Promise<void> {
    const notice = this.#notice;
    let next: ServerModel | TcpConfig;
    try {
      next = await this.#options.reload!();
      // Certificate files are re-read (and ACME/local CA names followed) before any worker sees the model.
      if (this.#tls !== null && next.kind === "http" && next.tls !== null) this.#tls.reload(next.tls);
    } catch (error) {
      notice(`portico: reload failed: ${(error as Error).message}; keeping the running configuration`);
      return;
    }
    const refusal = reloadRefusal(this.#config, next);
    if (refusal !== null || next.kind === "tcp") {
      if (refusal !== null) notice(refusal);
      return;
    }
    const host = this.#reloadHost();
    const committed = await reloadWorkers(host, next, ++this.#generation);
    if (committed === null) return;
    this.#config = committed.config;
    this.#ports = committed.ports;
    this.#verdicts = committed.verdicts;
    // The workers keep their TLS endpoints (and listening sockets): the certificate files read again
    // above reach them as an update, as renewed certificates do.
    if (this.#tls !== null) this.#broadcast({ type: "tls-certificates", pairs: this.#tls.pairs });
    const threads = this.#reusePort ? next.threads : 1;
    const running = await resizeWorkers(this.#reloadHost(), committed.live, threads);
    // New writable roots may hold leftovers; what building the new configuration grew goes back.
    this.#sweeps.request();
    setImmediate(trimMemory);
    notice(`portico: reloaded the configuration (${running} thread${running === 1 ? "" : "s"})`);
  }

  /** The supervisor's state as a reload (reload.ts) sees it now. */
  #reloadHost(): ReloadHost {
    return {
      config: this.#config,
      ports: this.#ports,
      slots: this.#slots,
      shared: this.shared,
      reusePort: this.#reusePort,
      transport: this.#transport,
      notice: this.#notice,
      preparing: (config) => {
        this.#nextConfig = config;
      },
      spawn: (index, ports) => this.#spawn(index, ports),
    };
  }

  #broadcast(message: SupervisorMessage): void {
    for (const slot of this.#slots) slot.worker?.postMessage(message);
  }

  /** Drains all workers (stop accepting, finish in-flight within the grace period) and exits 0. */
  async shutdown(signal = "shutdown"): Promise<never> {
    // A second signal while draining: exit at once.
    if (this.#draining || this.#stopping) process.exit(0);
    this.#stopping = true;
    // Readiness fails from now on; with a delay the listeners stay open meanwhile, for load balancers
    // (Kubernetes endpoints) that stop sending only after they see it.
    Atomics.store(this.shared.control, C_DRAINING, 1);
    const delayMs = this.#config.kind === "tcp" ? 0 : this.#config.options.shutdownDelayMs;
    const graceS = Math.ceil(graceOf(this.#config) / 1000);
    this.#notice(
      `portico: ${signal}: ${delayMs > 0 ? `not ready; still accepting for ${delayMs / 1000} s, then ` : ""}finishing requests in flight (up to ${graceS} s)`,
    );
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    await this.drain();
    this.#notice("portico: stopped");
    process.exit(0);
  }

  /** Stops every worker as a shutdown does and resolves once they are gone (terminated 2 s past the grace). */
  async drain(): Promise<void> {
    this.#draining = true;
    const graceMs = graceOf(this.#config);
    const message: SupervisorMessage = { type: "drain", graceMs };
    const exits = this.#slots.map(
      (slot) =>
        new Promise<void>((resolve) => {
          const worker = slot.worker;
          if (worker === null) return resolve();
          worker.once("exit", () => resolve());
          worker.postMessage(message);
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs + 2000).unref();
    });
    await Promise.race([Promise.all(exits), deadline]);
    clearTimeout(timer);
    await Promise.all(this.#slots.map((slot) => slot.worker?.terminate()));
  }
}
