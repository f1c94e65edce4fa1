// Active health: a probe per upstream every interval — an HTTP GET of a path expecting given
// statuses, or (TCP mode, no path) a bare connect. `fall` failed probes in a row take an upstream out,
// `rise` good ones put it back. Separate from selection: the group only reads `up`.

import { Buffer } from "node:buffer";
import net from "node:net";
import { connectTls, type UpstreamTls } from "../tls-transport.ts";
import { HEAD_INCOMPLETE, type HeadScan } from "../../http/parse-request.ts";
import {
  DEFAULT_RESPONSE_LIMITS,
  parseResponseHead,
  ResponseHead,
  scanResponseHead,
} from "../../http/parse-response.ts";

export interface ActiveOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Path to GET; "" probes with a TCP connect only. */
  readonly path: string;
  /** Statuses that count as healthy, as codes (200) or classes (2 for 2xx). */
  readonly expect: readonly number[];
  readonly rise: number;
  readonly fall: number;
}

/**
 * Active verdicts shared by the threads: one thread probes and writes them, the others only read, so
 * an upstream gets one probe per interval however many threads there are.
 */
export interface SharedVerdicts {
  /** Int32 per upstream slot: 0 in rotation, 1 taken out by the probes. */
  readonly table: Int32Array;
  /** This thread runs the probes. */
  readonly prober: boolean;
}

/** The rise/fall counter of one upstream. Starts up: an upstream is trusted until probes say otherwise. */
export class ActiveHealth {
  readonly #rise: number;
  readonly #fall: number;
  #up = true;
  #streak = 0;
  #table: Int32Array | null = null;
  #slot = 0;

  constructor(rise: number, fall: number) {
    this.#rise = rise;
    this.#fall = fall;
  }

  /** Keeps the verdict in a shared slot (a restarted prober carries on from what is there). */
  share(table: Int32Array, slot: number): void {
    this.#table = table;
    this.#slot = slot;
  }

  get up(): boolean {
    return this.#table === null ? this.#up : Atomics.load(this.#table, this.#slot) === 0;
  }

  /** Records one probe; returns true when this flips the state. */
  record(ok: boolean): boolean {
    const up = this.up;
    if (ok === up) {
      this.#streak = 0;
      return false;
    }
    this.#streak++;
    if (this.#streak < (up ? this.#fall : this.#rise)) return false;
    if (this.#table === null) this.#up = !up;
    else Atomics.store(this.#table, this.#slot, up ? 1 : 0);
    this.#streak = 0;
    return true;
  }
}

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  readonly authority: string;
  /** Probe over TLS (an https:// upstream), or null for plain TCP. */
  readonly tls?: UpstreamTls | null;
  readonly health: ActiveHealth;
  /** Called when the state flips. */
  changed(up: boolean, reason: string): void;
}

export function isExpectedStatus(status: number, expect: readonly number[]): boolean {
  for (const e of expect) if (e === status || (e < 10 && Math.floor(status / 100) === e)) return true;
  return false;
}

/** Runs probes for a set of targets on one timer; each probe has its own deadline. */
export class HealthChecker {
  readonly #targets: readonly ProbeTarget[];
  readonly #options: ActiveOptions;
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<net.Socket>();
  /** Targets whose last probe has not finished: a slow upstream gets no second probe on top. */
  readonly #probing = new Set<ProbeTarget>();
  #stopped = false;

  constructor(targets: readonly ProbeTarget[], options: ActiveOptions) {
    this.#targets = targets;
    this.#options = options;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#stopped = false;
    this.#timer = setInterval(() => this.probeAll(), this.#options.intervalMs);
    this.#timer.unref();
    // The first round right away: an upstream that is down at start is found one interval sooner.
    setImmediate(() => {
      if (!this.#stopped) this.probeAll();
    });
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    // Probes cut by stopping say nothing about the upstream: no verdict, no state change.
    this.#stopped = true;
    for (const s of this.#inFlight) s.destroy();
    this.#probing.clear();
  }

  probeAll(): void {
    for (const target of this.#targets) {
      // A probe may outlive the interval (its timeout is the connect timeout): probes piling up on
      // an upstream that is slow to answer would add load exactly when it is struggling.
      if (this.#probing.has(target)) continue;
      this.#probing.add(target);
      this.#probe(target, (ok, reason) => {
        this.#probing.delete(target);
        if (this.#stopped) return;
        if (target.health.record(ok)) target.changed(target.health.up, reason);
      });
    }
  }

  #probe(target: ProbeTarget, done: (ok: boolean, reason: string) => void): void {
    const options = this.#options;
    const secure = target.tls ?? null;
    const socket =
      secure === null
        ? net.connect({ host: target.host, port: target.port })
        : connectTls(target.host, target.port, secure);
    this.#inFlight.add(socket);
    let finished = false;
    const finish = (ok: boolean, reason: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.#inFlight.delete(socket);
      socket.destroy();
      done(ok, reason);
    };
    const timer = setTimeout(
      () => finish(false, `health check timed out after ${options.timeoutMs} ms`),
      options.timeoutMs,
    );
    timer.unref();
    socket.on("error", (error: NodeJS.ErrnoException) =>
      finish(false, `health check failed: ${error.code ?? error.message}`),
    );
    socket.on("close", () => finish(false, "health check: connection closed before a response"));
    // A TLS probe counts once the handshake (and the certificate check) has passed.
    socket.on(secure === null ? "connect" : "secureConnect", () => {
      if (options.path === "") {
        finish(true, "connect check passed");
        return;
      }
      socket.write(
        `GET ${options.path} HTTP/1.1\r\nHost: ${target.authority}\r\nUser-Agent: portico-health-check\r\nConnection: close\r\n\r\n`,
      );
    });
    let buf: Buffer = Buffer.alloc(0);
    const scan: HeadScan = { pos: 0, lineStart: 0, lines: 0 };
    socket.on("data", (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const end = scanResponseHead(buf, 0, buf.length, scan, DEFAULT_RESPONSE_LIMITS);
      if (end === HEAD_INCOMPLETE) return;
      if (typeof end !== "number") return finish(false, `health check: ${end.message}`);
      const head = new ResponseHead();
      const error = parseResponseHead(buf, 0, end, DEFAULT_RESPONSE_LIMITS, head);
      if (error !== null) return finish(false, `health check: ${error.message}`);
      if (isExpectedStatus(head.status, options.expect)) finish(true, `health check passed (${head.status})`);
      else finish(false, `health check got status ${head.status}`);
    });
  }
}
