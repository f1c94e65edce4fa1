// The main thread: spawns the worker threads, prints where Portico listens, replaces a worker that
// crashes (with back-off), on SIGHUP re-reads the configuration and replaces every worker without
// dropping a connection, and on SIGINT/SIGTERM drains every worker before exiting 0.
// It serves nothing itself and holds no request state.

import net from "node:net";
import { Worker } from "node:worker_threads";
import type { ServerModel, TcpConfig } from "../config/load.ts";
import type { SupervisorMessage, WorkerData, WorkerMessage } from "./messages.ts";
import { MAX_THREADS, newVerdicts, SharedState } from "./shared-memory.ts";

const WORKER_URL = new URL("./worker.ts", import.meta.url);
const RESTART_MIN_MS = 100;
/**
 * A worker's young generation (V8 sizes it as 3 semi-spaces): 12 MiB = 4 MiB semi-spaces. V8's
 * default lets them grow to 16 MiB each when requests make garbage fast, and that memory stays
 * resident: measured with 10,000 idle connections that each served one request, 1.9 KiB per
 * connection by default and 1.1 KiB with 4 MiB, at the same CPU per request (4.8 µs, 1 KiB file).
 */
const YOUNG_GENERATION_MB = 12;
const RESTART_MAX_MS = 5000;
const STABLE_AFTER_MS = 10_000;

export interface StartOptions {
  /** Writes the one-line banner (stdout); null prints nothing. */
  readonly banner: ((urls: string[], threads: number) => string) | null;
  /** Where notices go (restarts, warnings). */
  readonly notice: (line: string) => void;
  readonly version: string;
  /** Reads the configuration again (SIGHUP); throws a ConfigError when it is invalid. */
  readonly reload?: () => Promise<ServerModel | TcpConfig>;
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
  #config: ServerModel | TcpConfig;
  readonly #options: StartOptions;
  #slots: Slot[] = [];
  readonly #countRowsInUse: boolean[] = [];
  /** This configuration's active health verdicts; a reload's workers get their own. */
  #verdicts = newVerdicts();
  #reloading = false;
  /** The port each listener is bound to (the model's order), 0 ones resolved by the first worker. */
  #ports: number[] = [];
  #reusePort = true;
  #draining = false;
  readonly shared = SharedState.create();
  readonly #startedAt = Date.now();

  constructor(config: ServerModel | TcpConfig, options: StartOptions) {
    this.#config = config;
    this.#options = options;
  }

  /** Starts all workers; resolves once every one listens, rejects (with a one-line reason) if one cannot. */
  async start(): Promise<void> {
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
    // running) and silently split its traffic with it: every port must be free before we share it.
    const listeners = listenersOf(this.#config);
    if (this.#reusePort) for (const l of listeners) if (l.port !== 0) await assertPortFree(l.host, l.port, l.name);
    // The first worker binds first so port 0 resolves to one real port the others then share.
    const first = await this.#spawn(
      0,
      listeners.map((l) => l.port),
    );
    this.#ports = first.map((a) => a.port);
    const rest: Array<Promise<unknown>> = [];
    for (let i = 1; i < threads; i++) rest.push(this.#spawn(i, this.#ports));
    await Promise.all(rest);
    if (this.#options.banner !== null) {
      process.stdout.write(`${this.#options.banner(this.#urls(first), threads)}\n`);
    }
    process.on("SIGINT", () => void this.shutdown());
    process.on("SIGTERM", () => void this.shutdown());
    // Log rotation: every worker re-opens its --access-log file.
    process.on("SIGUSR1", () => this.#broadcast({ type: "reopen-logs" }));
    process.on("SIGHUP", () => void this.reload());
  }

  /** The first listener's port. */
  get port(): number {
    return this.#ports[0] ?? 0;
  }

  #urls(addresses: readonly { address: string; port: number }[]): string[] {
    const scheme = this.#config.kind === "tcp" ? "tcp" : "http";
    return addresses.map(({ address, port }) => {
      if (address === "::" || address === "0.0.0.0") return `${scheme}://localhost:${port}/`;
      return `${scheme}://${address.includes(":") ? `[${address}]` : address}:${port}/`;
    });
  }

  #spawn(index: number, ports: readonly number[]): Promise<readonly { address: string; port: number }[]> {
    const countRow = this.#claimCountRow();
    const data: WorkerData = {
      countRow,
      verdicts: this.#verdicts,
      config: this.#config,
      index,
      ports,
      reusePort: this.#reusePort,
      shared: this.shared.buffers,
      version: this.#options.version,
      startedAt: this.#startedAt,
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
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.on("message", (message: WorkerMessage) => {
        if (message.type === "listening") {
          listening = true;
          resolve(message.addresses);
        } else if (message.type === "listen-failed") {
          const l = listenersOf(this.#config)[message.listener]!;
          reject(new Error(listenFailure(message.code, message.message, l.host, ports[message.listener]!, l.name)));
        }
      });
      worker.on("error", (error) => {
        if (!listening) reject(new Error(`worker ${index} failed to start: ${error.message}`));
        else this.#options.notice(`portico: worker ${index} crashed: ${error.stack ?? error.message}`);
      });
      worker.on("exit", (code) => {
        slot.worker = null;
        this.#releaseCountRow(countRow);
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
      this.#spawn(slot.index, this.#ports).catch((error: Error) => {
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
    let next: ServerModel | TcpConfig;
    try {
      next = await read();
    } catch (error) {
      this.#options.notice(`portico: reload failed: ${(error as Error).message}; keeping the running configuration`);
      return;
    }
    if (next.kind !== this.#config.kind) {
      this.#options.notice("portico: reload cannot switch between HTTP and TCP; restart instead");
      return;
    }
    this.#reloading = true;
    const previous = { config: this.#config, slots: this.#slots, verdicts: this.#verdicts, ports: this.#ports };
    // A listener the running configuration has keeps its bound port; a new one is bound afresh.
    const old = listenersOf(previous.config);
    const wanted = listenersOf(next).map((l) => {
      const i = old.findIndex((o) => o.host === l.host && o.port === l.port);
      return { ...l, bound: i === -1 ? -1 : previous.ports[i]! };
    });
    this.#config = next;
    // The old workers keep probing their upstreams until they drain: the new ones judge their own.
    this.#verdicts = newVerdicts();
    this.#slots = [];
    try {
      for (const l of wanted)
        if (l.bound === -1 && l.port !== 0 && this.#reusePort) await assertPortFree(l.host, l.port, l.name);
      const threads = this.#reusePort ? next.threads : 1;
      const first = await this.#spawn(
        0,
        wanted.map((l) => (l.bound === -1 ? l.port : l.bound)),
      );
      this.#ports = first.map((a) => a.port);
      await Promise.all(Array.from({ length: threads - 1 }, (_, i) => this.#spawn(i + 1, this.#ports)));
    } catch (error) {
      for (const slot of this.#slots) {
        slot.retired = true;
        void slot.worker?.terminate();
      }
      this.#config = previous.config;
      this.#slots = previous.slots;
      this.#verdicts = previous.verdicts;
      this.#ports = previous.ports;
      this.#reloading = false;
      this.#options.notice(`portico: reload failed: ${(error as Error).message}; keeping the running configuration`);
      return;
    }
    const drain: SupervisorMessage = { type: "drain", graceMs: graceOf(previous.config) };
    for (const slot of previous.slots) {
      slot.retired = true;
      slot.worker?.postMessage(drain);
    }
    this.#reloading = false;
    this.#options.notice(
      `portico: reloaded the configuration (${this.#slots.length} thread${this.#slots.length === 1 ? "" : "s"})`,
    );
  }

  #broadcast(message: SupervisorMessage): void {
    for (const slot of this.#slots) slot.worker?.postMessage(message);
  }

  /** Drains all workers (stop accepting, finish in-flight within the grace period) and exits 0. */
  async shutdown(): Promise<never> {
    if (this.#draining) process.exit(0);
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
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs + 2000).unref());
    await Promise.race([Promise.all(exits), deadline]);
    process.exit(0);
  }
}

/** The addresses a configuration listens on, in its order. */
function listenersOf(config: ServerModel | TcpConfig): readonly { host: string; port: number; name: string }[] {
  if (config.kind === "tcp")
    return [{ host: config.host, port: config.port, name: `${config.host || "*"}:${config.port}` }];
  return config.listeners;
}

/** Binds host:port alone (no SO_REUSEPORT) and lets go at once; rejects as a listen failure would. */
function assertPortFree(host: string, port: number, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(new Error(listenFailure(error.code ?? "", error.message, host, port, name))),
    );
    probe.listen({ port, host: host === "" ? undefined : host }, () => probe.close(() => resolve()));
  });
}

function listenFailure(code: string, message: string, host: string, port: number, name: string): string {
  const where = `${host === "" ? "*" : host}:${port}`;
  if (code === "EADDRINUSE") return `cannot listen on ${name}: port ${port} is already in use (${where})`;
  if (code === "EACCES") return `cannot listen on ${name}: no permission to listen on ${where}`;
  if (code === "EADDRNOTAVAIL") return `cannot listen on ${name}: address ${host} is not available on this machine`;
  return `cannot listen on ${name}: ${message}`;
}

function graceOf(config: ServerModel | TcpConfig): number {
  return config.kind === "tcp" ? config.shutdownGraceMs : config.options.shutdownGraceMs;
}
