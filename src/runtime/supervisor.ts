// The main thread: spawns the worker threads, prints where Portico listens, replaces a worker that
// crashes (with back-off), on SIGHUP re-reads the configuration and replaces every worker without
// dropping a connection, and on SIGINT/SIGTERM drains every worker before exiting 0.
// It serves nothing itself and holds no request state.

import { Worker } from "node:worker_threads";
import { siblingModule } from "../common/module-url.ts";
import type { Config, TcpConfig } from "../config/load.ts";
import { TransportError } from "../http/errors.ts";
import { openListener, selectTransport, type TransportChoice } from "../http/transport.ts";
import { canWrapTls } from "../http/uv-tls-accept.ts";
import { OneAtATime, STALE_MARGIN_MS, UploadSweeper } from "../static/upload-files.ts";
import type { ChallengeSet } from "../tls/acme/manager.ts";
import { ROTATE_MS, rotateTicketKey } from "../tls/ticket-keys.ts";
import type { SupervisorMessage, WorkerData, WorkerMessage } from "./messages.ts";
import { trimMemory } from "./memory-trim.ts";
import { C_DRAINING, MAX_THREADS, newVerdicts, SharedState } from "./shared-memory.ts";
import { TlsSupervisor } from "./tls-supervisor.ts";

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
   * Writes the one-line banner (stdout); null prints nothing. `transport` names how connections are
   * driven ("uv", or "net" and why when auto fell back); "" for `portico tcp`, always on node:net.
   */
  readonly banner: ((urls: string[], threads: number, transport: string) => string) | null;
  /** Where notices go (restarts, warnings). */
  readonly notice: (line: string) => void;
  readonly version: string;
  /** Reads the configuration again (SIGHUP); throws a ConfigError when it is invalid. */
  readonly reload?: () => Config | TcpConfig;
}

interface Slot {
  readonly index: number;
  worker: Worker | null;
  startedAt: number;
  backoffMs: number;
  /** Replaced by a reload: draining, never restarted. */
  retired: boolean;
}

export class Supervisor {
  #config: Config | TcpConfig;
  readonly #options: StartOptions;
  #slots: Slot[] = [];
  readonly #countRowsInUse: boolean[] = [];
  /** This configuration's active health verdicts; a reload's workers get their own. */
  #verdicts = newVerdicts();
  #reloading = false;
  #port = 0;
  #reusePort = true;
  #draining = false;
  /** A shutdown signal arrived (the --shutdown-delay may still be running). */
  #stopping = false;
  /** This configuration's transport, chosen here once (at start) so every worker runs the same one. */
  #transport: TransportChoice = { kind: "net", reason: "" };
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

  constructor(config: Config | TcpConfig, options: StartOptions) {
    this.#config = config;
    this.#options = options;
    // Session tickets: one key ring for every thread, a new key every ROTATE_MS (tls/ticket-keys.ts).
    rotateTicketKey(this.shared.buffers.ticketKeys);
    setInterval(() => rotateTicketKey(this.shared.buffers.ticketKeys), ROTATE_MS).unref();
  }

  /** Starts all workers; resolves once every one listens, rejects (with a one-line reason) if one cannot. */
  async start(): Promise<void> {
    this.#transport = chooseTransport(this.#config);
    let threads = this.#config.threads;
    if (process.platform !== "linux" && threads > 1) {
      this.#options.notice(
        `portico: several threads need SO_REUSEPORT, which ${process.platform} lacks here; running 1 worker thread`,
      );
      threads = 1;
    }
    // Always on Linux, so a reload's new workers can bind beside the old ones before these drain.
    this.#reusePort = process.platform === "linux";
    // SO_REUSEPORT would also let us bind beside another process (a second Portico, an old one left
    // running) and silently split its traffic with it: the port must be free before we share it.
    if (this.#reusePort && this.#config.port !== 0) await assertPortFree(this.#config, this.#config.port);
    const config = this.#config;
    if (!("mode" in config) && config.https) {
      if (this.#reusePort && config.httpPort > 0) await assertPortFree(config, config.httpPort);
      this.#httpPort = config.httpPort;
      this.#tls = new TlsSupervisor(config, {
        notice: this.#options.notice,
        version: this.#options.version,
        certificatesChanged: (pairs) => this.#broadcast({ type: "tls-certificates", pairs }),
        publishChallenges: (challenges) => this.#publishChallenges(challenges),
      });
      await this.#tls.start();
    }
    // The first worker binds first so port 0 resolves to one real port the others then share.
    const first = await this.#spawn(0, this.#config.port);
    this.#port = first.port;
    this.#httpPort = first.httpPort;
    const rest: Array<Promise<{ address: string; port: number; httpPort: number }>> = [];
    for (let i = 1; i < threads; i++) rest.push(this.#spawn(i, this.#port));
    await Promise.all(rest);
    // Before the banner: whoever reads it may signal at once, and a signal with no handler yet kills.
    process.on("SIGINT", () => void this.shutdown("SIGINT"));
    process.on("SIGTERM", () => void this.shutdown("SIGTERM"));
    // Log rotation: every worker re-opens its --access-log file.
    process.on("SIGUSR1", () => this.#broadcast({ type: "reopen-logs" }));
    process.on("SIGHUP", () => void this.reload());
    if (this.#options.banner !== null) {
      const { kind, reason } = this.#transport;
      let transport = "mode" in this.#config ? "" : reason === "" ? kind : `${kind}: ${reason}`;
      // The HTTPS listener alone falls back to node:tls where tls_wrap is unusable (http/transport.ts).
      if (this.#tls !== null && kind === "uv" && !canWrapTls()) transport += ", TLS on net: tls_wrap unusable";
      process.stdout.write(`${this.#options.banner(this.#urls(first.address), threads, transport)}\n`);
    }
    this.#sweeps.request();
    // This thread serves nothing: what start-up grew goes back to the system now.
    setImmediate(trimMemory);
  }

  /** With writes on, removes upload files stopped processes left under the root (upload-files.ts decides). */
  async #sweepUploads(): Promise<void> {
    const config = this.#config;
    if ("mode" in config || !config.writable) return;
    const isLiveThread = (thread: number): boolean => this.#liveThreads.has(thread);
    const staleMs = config.bodyTimeoutMs + STALE_MARGIN_MS;
    const sweeper = new UploadSweeper({ dotfiles: config.dotfiles === "allow", staleMs, isLiveThread });
    const { files, bytes } = await sweeper.sweepTree(config.root);
    const what = `${files} temporary upload file(s) (${bytes} bytes) left by stopped processes`;
    if (files > 0) this.#options.notice(`portico: removed ${what} under ${config.root}`);
  }

  get port(): number {
    return this.#port;
  }

  #urls(address: string): string[] {
    const port = this.#port;
    const config = this.#config;
    const scheme = "mode" in config ? "tcp" : config.https ? "https" : "http";
    const host =
      address === "::" || address === "0.0.0.0" ? "localhost" : address.includes(":") ? `[${address}]` : address;
    const urls = [`${scheme}://${host}:${port}/`];
    if (this.#httpPort >= 0) urls.push(`(redirect from http://${host}:${this.#httpPort}/)`);
    if (this.#tls !== null && this.#tls.rootFile !== "")
      urls.push(`(local CA root: ${this.#tls.rootFile}; \`portico trust\` shows how to trust it)`);
    return urls;
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

  #spawn(index: number, port: number): Promise<{ address: string; port: number; httpPort: number }> {
    const countRow = this.#claimCountRow();
    const data: WorkerData = {
      countRow,
      verdicts: this.#verdicts,
      config: this.#config,
      index,
      port,
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
    });
    const slot: Slot = this.#slots[index] ?? {
      index,
      worker: null,
      startedAt: 0,
      backoffMs: RESTART_MIN_MS,
      retired: false,
    };
    this.#slots[index] = slot;
    slot.worker = worker;
    slot.startedAt = Date.now();
    const thread = worker.threadId;
    this.#liveThreads.add(thread);
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.on("message", (message: WorkerMessage) => {
        if (message.type === "listening") {
          listening = true;
          resolve({ address: message.address, port: message.port, httpPort: message.httpPort });
        } else if (message.type === "tls-challenges-ready") {
          this.#challengeAcks.get(message.id)?.();
        } else if (message.type === "listen-failed") {
          reject(new Error(listenFailure(message.code, message.message, this.#config, port)));
        }
      });
      worker.on("error", (error) => {
        if (!listening) reject(new Error(`worker ${index} failed to start: ${error.message}`));
        else this.#options.notice(`portico: worker ${index} crashed: ${error.stack ?? error.message}`);
      });
      worker.on("exit", (code) => {
        slot.worker = null;
        this.#releaseCountRow(countRow);
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

  /**
   * Each worker gets its own row of upstream counts for its lifetime (not per slot: during a reload
   * the old and new worker of a slot run side by side). -1 when all rows are taken.
   */
  #claimCountRow(): number {
    const row = this.#countRowsInUse.indexOf(false);
    const claimed = row !== -1 ? row : this.#countRowsInUse.length < MAX_THREADS ? this.#countRowsInUse.length : -1;
    if (claimed === -1) return -1;
    this.#countRowsInUse[claimed] = true;
    this.shared.openCountRow(claimed);
    return claimed;
  }

  /** The worker is gone: its in-flight counts leave the sum at once. */
  #releaseCountRow(row: number): void {
    if (row === -1) return;
    this.shared.closeCountRow(row);
    this.#countRowsInUse[row] = false;
  }

  #restart(slot: Slot, code: number): void {
    if (Date.now() - slot.startedAt > STABLE_AFTER_MS) slot.backoffMs = RESTART_MIN_MS;
    const delay = slot.backoffMs;
    slot.backoffMs = Math.min(RESTART_MAX_MS, slot.backoffMs * 2);
    this.#options.notice(`portico: worker ${slot.index} exited (code ${code}); restarting in ${delay} ms`);
    // The timer stays referenced: with one worker thread it is all that keeps the process alive until
    // the replacement starts (unreferenced, the process exited instead of restarting the worker).
    setTimeout(() => {
      if (this.#draining) return;
      this.#spawn(slot.index, this.#port).catch((error: Error) => {
        this.#options.notice(`portico: could not restart worker ${slot.index}: ${error.message}`);
        if (!this.#draining && slot.worker === null) this.#restart(slot, 1);
      });
    }, delay);
  }

  /**
   * SIGHUP: reads the configuration again and, when it is valid, starts a new set of workers beside the
   * old ones (same port, reusePort), then drains the old ones. An invalid configuration, or workers that
   * cannot start, leave the running ones untouched.
   */
  async reload(): Promise<void> {
    const read = this.#options.reload;
    if (read === undefined || this.#draining || this.#reloading) return;
    let next: Config | TcpConfig;
    try {
      next = read();
      if (this.#tls !== null && !("mode" in next) && next.https) this.#tls.reload(next);
    } catch (error) {
      this.#options.notice(`portico: reload failed: ${(error as Error).message}; keeping the running configuration`);
      return;
    }
    if ("mode" in next !== "mode" in this.#config) {
      this.#options.notice("portico: reload cannot switch between HTTP and TCP; restart instead");
      return;
    }
    if (!("mode" in next) && !("mode" in this.#config) && next.https !== this.#config.https) {
      this.#options.notice("portico: reload cannot switch between HTTP and HTTPS; restart instead");
      return;
    }
    if (next.port !== this.#config.port && next.port !== this.#port) {
      this.#options.notice(`portico: reload keeps listening on port ${this.#port}; a new port needs a restart`);
    }
    let transport: TransportChoice;
    try {
      transport = chooseTransport(next);
    } catch (error) {
      this.#options.notice(`portico: reload failed: ${(error as Error).message}; keeping the running configuration`);
      return;
    }
    this.#reloading = true;
    const previous = { config: this.#config, slots: this.#slots, verdicts: this.#verdicts, transport: this.#transport };
    this.#config = next;
    this.#transport = transport;
    // The old workers keep probing their upstreams until they drain: the new ones judge their own.
    this.#verdicts = newVerdicts();
    this.#slots = [];
    try {
      const threads = this.#reusePort ? next.threads : 1;
      await Promise.all(Array.from({ length: threads }, (_, i) => this.#spawn(i, this.#port)));
    } catch (error) {
      for (const slot of this.#slots) {
        slot.retired = true;
        void slot.worker?.terminate();
      }
      this.#config = previous.config;
      this.#slots = previous.slots;
      this.#verdicts = previous.verdicts;
      this.#transport = previous.transport;
      this.#reloading = false;
      this.#options.notice(`portico: reload failed: ${(error as Error).message}; keeping the running configuration`);
      return;
    }
    const drain: SupervisorMessage = { type: "drain", graceMs: previous.config.shutdownGraceMs };
    for (const slot of previous.slots) {
      slot.retired = true;
      slot.worker?.postMessage(drain);
    }
    this.#reloading = false;
    this.#sweeps.request();
    setImmediate(trimMemory);
    this.#options.notice(
      `portico: reloaded the configuration (${this.#slots.length} thread${this.#slots.length === 1 ? "" : "s"})`,
    );
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
    const delayMs = "mode" in this.#config ? 0 : this.#config.shutdownDelayMs;
    const graceS = Math.ceil(this.#config.shutdownGraceMs / 1000);
    this.#options.notice(
      `portico: ${signal}: ${delayMs > 0 ? `not ready; still accepting for ${delayMs / 1000} s, then ` : ""}finishing requests in flight (up to ${graceS} s)`,
    );
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    await this.drain();
    this.#options.notice("portico: stopped");
    process.exit(0);
  }

  /** Stops every worker as a shutdown does and resolves once they are gone (terminated 2 s past the grace). */
  async drain(): Promise<void> {
    this.#draining = true;
    const graceMs = this.#config.shutdownGraceMs;
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

/**
 * The transport for a configuration's workers, decided in this thread (whose Node and flags the
 * workers share). Throws with a one-line reason when an explicit "uv" cannot run or PORTICO_TRANSPORT
 * is not understood. `portico tcp` relays through node:net sockets whatever is chosen.
 */
function chooseTransport(config: Config | TcpConfig): TransportChoice {
  const choice = selectTransport("mode" in config ? "net" : config.transport);
  if (choice instanceof TransportError) throw new Error(choice.message);
  return choice;
}

/**
 * Binds host:port alone (no SO_REUSEPORT) and lets go at once; rejects as a listen failure would. On
 * the transport chosen for this thread: with the handles, net.Server's listen would load the cluster
 * module (and child_process, dgram) into this thread just for this.
 */
async function assertPortFree(config: Config | TcpConfig, port: number): Promise<void> {
  try {
    const probe = await openListener({ port, host: config.host === "" ? undefined : config.host }, (transport) =>
      transport.destroy(),
    );
    probe.close();
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    throw new Error(listenFailure(err.code ?? "", err.message, config, port));
  }
}

function listenFailure(code: string, message: string, config: Config | TcpConfig, port: number): string {
  // The worker could not load the --app module: its message names the file and the fault.
  if (code === "APP_LOAD") return `cannot load the app: ${message}`;
  const where = `${config.host === "" ? "*" : config.host}:${port}`;
  if (code === "EADDRINUSE") return `port ${port} is already in use (${where})`;
  if (code === "EACCES") return `no permission to listen on ${where}`;
  if (code === "EADDRNOTAVAIL") return `address ${config.host} is not available on this machine`;
  return `cannot listen on ${where}: ${message}`;
}
