// A reload in place, as the supervisor runs it on SIGHUP (or --watch): whether the new configuration
// can replace the running one without a restart, the ports its listeners keep, every worker preparing
// it (handlers built, added addresses bound) and then all committing at once — or all aborting, so the
// running configuration stays — and the number of threads brought to the new one's.
// Not here: reading the configuration, signals, spawning and restarting workers (supervisor.ts).

import type { Worker } from "node:worker_threads";
import type { ServerModel, TcpConfig } from "../config/load.ts";
import type { TransportChoice } from "../http/transport.ts";
import { assertPortFree, chooseTransport, graceOf, migratesQueuedConnections } from "./listening.ts";
import type { BoundAddresses, SupervisorMessage } from "./messages.ts";
import { newVerdicts, type SharedState } from "./shared-memory.ts";

/** A worker thread's place in the supervisor: what it runs, and what a reload waits for from it. */
export interface Slot {
  readonly index: number;
  worker: Worker | null;
  startedAt: number;
  backoffMs: number;
  /** Draining (a shutdown, or fewer threads after a reload), never restarted. */
  retired: boolean;
  /** The row of upstream counts the worker's current configuration uses (-1: none). */
  countRow: number;
  /** Every row the running worker holds (a replaced configuration's until its requests are done). */
  rows: Set<number>;
  /** The reply awaited to a prepare message, if any. */
  prepared: {
    readonly generation: number;
    readonly resolve: (addresses: BoundAddresses) => void;
    readonly reject: (error: Error) => void;
  } | null;
}

/** What a reload reads of the supervisor's state, and what it asks of it. */
export interface ReloadHost {
  readonly config: ServerModel | TcpConfig;
  /** The port each running listener is bound to (the model's order). */
  readonly ports: readonly number[];
  readonly slots: readonly Slot[];
  readonly shared: SharedState;
  readonly reusePort: boolean;
  /** The transport the running listeners accept with (kept for the process's life). */
  readonly transport: TransportChoice;
  readonly notice: (line: string) => void;
  /** Names the configuration being prepared (its listen failures are told in its terms), or null. */
  preparing(config: ServerModel | null): void;
  /** Starts a worker in slot `index` with the configuration now running. */
  spawn(index: number, ports: readonly number[]): Promise<unknown>;
}

/** A configuration every worker has committed to. */
export interface Committed {
  readonly config: ServerModel;
  readonly ports: number[];
  readonly verdicts: SharedArrayBuffer;
  /** The workers that took it. */
  readonly live: readonly Slot[];
}

/**
 * Why `next` cannot replace `current` in place (a restart is needed), or null. A listener both have
 * keeps its socket, and with it whether it speaks TLS.
 */
export function reloadRefusal(current: ServerModel | TcpConfig, next: ServerModel | TcpConfig): string | null {
  if (next.kind !== current.kind) return "portico: reload cannot switch between HTTP and TCP; restart instead";
  if (next.kind === "tcp" || current.kind === "tcp")
    return "portico: portico tcp is configured by its command line alone: nothing to reload";
  if ((next.tls === null) !== (current.tls === null))
    return "portico: reload cannot switch between HTTP and HTTPS; restart instead";
  for (const [i, l] of next.listeners.entries()) {
    const was = current.listeners.findIndex((o) => o.host === l.host && o.port === l.port);
    if (was === -1) continue;
    const secure = next.tls?.listeners.includes(i) === true;
    if (secure !== (current.tls?.listeners.includes(was) === true))
      return `portico: reload cannot switch ${l.name} between HTTP and HTTPS; restart instead`;
  }
  return null;
}

/**
 * Has every running worker prepare `next`, then commit it; resolves with what was committed, or null
 * when the running configuration stays (told in one line).
 */
export async function reloadWorkers(
  host: ReloadHost,
  next: ServerModel,
  generation: number,
): Promise<Committed | null> {
  const notice = host.notice;
  const current = host.config as ServerModel;
  let transport: TransportChoice;
  try {
    transport = chooseTransport(next);
  } catch (error) {
    notice(`portico: reload failed: ${(error as Error).message}; keeping the running configuration`);
    return null;
  }
  if (transport.kind !== host.transport.kind)
    notice(
      `portico: transport ${transport.kind} takes effect at the next start: the running listeners keep the ${host.transport.kind} transport`,
    );
  const live = host.slots.filter((slot) => slot.worker !== null && !slot.retired);
  // A listener the running configuration has keeps its bound port; a new one is bound afresh.
  const ports = next.listeners.map((l) => {
    const i = current.listeners.findIndex((o) => o.host === l.host && o.port === l.port);
    return i === -1 ? l.port : host.ports[i]!;
  });
  const verdicts = newVerdicts();
  const claimed: { slot: Slot; row: number }[] = [];
  host.preparing(next);
  try {
    // A port new to this configuration must be free of other processes (see Supervisor.start()).
    for (const l of next.listeners) {
      const added = !current.listeners.some((o) => o.host === l.host && o.port === l.port);
      if (added && l.port !== 0 && host.reusePort) await assertPortFree(l.host, l.port, l.name);
    }
    const prepare = (slot: Slot): Promise<BoundAddresses> => {
      const row = host.shared.claimCountRow();
      claimed.push({ slot, row });
      const worker = slot.worker;
      if (worker === null) return Promise.reject(new Error(`worker ${slot.index} is not running`));
      return new Promise((resolve, reject) => {
        slot.prepared = { generation, resolve, reject };
        worker.postMessage({
          type: "prepare",
          generation,
          config: next,
          ports,
          countRow: row,
          verdicts,
        } satisfies SupervisorMessage);
      });
    };
    // The first worker binds the new listeners first, so a port 0 resolves to one real port.
    if (live.length > 0) {
      const first = await prepare(live[0]!);
      first.forEach((a, i) => {
        ports[i] = a.port;
      });
      await Promise.all(live.slice(1).map(prepare));
    }
  } catch (error) {
    for (const slot of live) slot.worker?.postMessage({ type: "abort", generation } satisfies SupervisorMessage);
    for (const { row } of claimed) host.shared.releaseCountRow(row);
    host.preparing(null);
    notice(`portico: reload failed: ${(error as Error).message}; keeping the running configuration`);
    return null;
  }
  host.preparing(null);
  for (const { slot, row } of claimed) {
    slot.worker?.postMessage({ type: "commit", generation } satisfies SupervisorMessage);
    slot.countRow = row;
    if (row !== -1) slot.rows.add(row);
  }
  return { config: next, ports, verdicts, live };
}

/**
 * Brings the number of worker threads to `threads` after a reload (the host runs the new configuration
 * by now): new workers start with it; extra ones drain only where the kernel moves the connections
 * queued on a closing listening socket to the others (net.ipv4.tcp_migrate_req), since elsewhere
 * closing it resets them. Resolves with the number running.
 */
export async function resizeWorkers(host: ReloadHost, live: readonly Slot[], threads: number): Promise<number> {
  if (threads > live.length) {
    const used = new Set(live.map((s) => s.index));
    const spawns: Promise<unknown>[] = [];
    for (let index = 0; used.size < threads; index++) {
      if (used.has(index)) continue;
      used.add(index);
      spawns.push(
        host
          .spawn(index, host.ports)
          .catch((error: Error) => host.notice(`portico: could not start worker ${index}: ${error.message}`)),
      );
    }
    await Promise.all(spawns);
    return host.slots.filter((s) => s.worker !== null && !s.retired).length;
  }
  if (threads < live.length) {
    if (!migratesQueuedConnections()) {
      host.notice(
        `portico: threads = ${threads} takes effect at the next start: closing a thread's listening sockets would reset the connections queued on them (net.ipv4.tcp_migrate_req = 1 lets a reload retire threads)`,
      );
      return live.length;
    }
    const drain: SupervisorMessage = { type: "drain", graceMs: graceOf(host.config) };
    for (const slot of live.slice(threads)) {
      slot.retired = true;
      slot.worker?.postMessage(drain);
    }
    return threads;
  }
  return live.length;
}
