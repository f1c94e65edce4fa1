// The L4 TCP proxy: each accepted stream goes to an upstream chosen by the balancing policy (least
// connections by default), failing over to another when a connect fails; bytes are relayed both ways
// with half-close passed on and an idle timeout. Health: passive on connect failures, active by
// periodic connect checks. One per worker thread, sharing the port through reusePort.

import { Buffer } from "node:buffer";
import net from "node:net";
import { ActiveCounts } from "../balance/active-counts.ts";
import { createPolicy } from "../balance/create-policy.ts";
import { type BalancePolicy, type PolicyName, policyOptions } from "../balance/policy.ts";
import { HealthChecker, type SharedVerdicts } from "../health/active.ts";
import type { PassiveOptions } from "../health/passive.ts";
import { tunnel } from "../tunnel.ts";
import { Upstream, type UpstreamAddress } from "../upstream.ts";

export interface TcpProxyOptions {
  readonly upstreams: readonly UpstreamAddress[];
  readonly policy: PolicyName;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly passive: PassiveOptions;
  /** Connect checks every interval; 0 disables them. */
  readonly healthIntervalMs: number;
  readonly rise: number;
  readonly fall: number;
  /** Per-upstream active stream counts; per-thread rows in shared memory when the runtime provides them. */
  readonly counts?: ActiveCounts;
  /** Connect-check verdicts shared between threads (one thread probes), upstreams from slot 0. */
  readonly verdicts?: SharedVerdicts;
}

export interface TcpListenOptions {
  readonly port: number;
  readonly host?: string;
  readonly reusePort?: boolean;
}

export class TcpProxy {
  readonly #options: TcpProxyOptions;
  readonly #upstreams: Upstream[];
  readonly #counts: ActiveCounts;
  readonly #policy: BalancePolicy;
  readonly #checker: HealthChecker | null;
  readonly #server: net.Server;
  readonly #streams = new Set<net.Socket>();
  #closing = false;

  constructor(options: TcpProxyOptions) {
    this.#options = options;
    const upstreamOptions = { passive: options.passive, maxIdle: 0, rise: options.rise, fall: options.fall };
    this.#upstreams = options.upstreams.map((a, i) => new Upstream(i, a, upstreamOptions));
    this.#counts = options.counts ?? new ActiveCounts(options.upstreams.length);
    this.#policy = createPolicy(
      options.policy,
      policyOptions(options.upstreams.length, {
        weights: options.upstreams.map((u) => u.weight),
        active: this.#counts,
      }),
    );
    const verdicts = options.healthIntervalMs > 0 ? options.verdicts : undefined;
    if (verdicts !== undefined) {
      for (const [i, u] of this.#upstreams.entries()) u.active.share(verdicts.table, i);
    }
    this.#checker =
      options.healthIntervalMs > 0 && (verdicts === undefined || verdicts.prober)
        ? new HealthChecker(
            this.#upstreams.map((u) => ({
              host: u.host,
              port: u.port,
              authority: u.authority,
              health: u.active,
              changed: (up: boolean, reason: string) => u.activeChanged(up, reason),
            })),
            {
              intervalMs: options.healthIntervalMs,
              timeoutMs: options.connectTimeoutMs,
              path: "",
              expect: [],
              rise: options.rise,
              fall: options.fall,
            },
          )
        : null;
    this.#server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (socket) =>
      this.#accept(socket),
    );
  }

  get upstreams(): readonly Upstream[] {
    return this.#upstreams;
  }

  listen(options: TcpListenOptions): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen({ port: options.port, host: options.host, reusePort: options.reusePort ?? false }, () => {
        this.#server.off("error", reject);
        this.#checker?.start();
        resolve(this.#server.address() as net.AddressInfo);
      });
    });
  }

  /** Stops accepting; open streams get `graceMs` to finish, then are cut. */
  close(graceMs: number): Promise<void> {
    this.#closing = true;
    this.#checker?.stop();
    this.#server.close();
    if (this.#streams.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const s of this.#streams) s.destroy();
        resolve();
      }, graceMs);
      timer.unref();
      const check = setInterval(() => {
        if (this.#streams.size > 0) return;
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }, 50);
      check.unref();
    });
  }

  #accept(client: net.Socket): void {
    if (this.#closing) {
      client.destroy();
      return;
    }
    this.#streams.add(client);
    client.once("close", () => this.#streams.delete(client));
    client.on("error", () => client.destroy());
    this.#connect(client, []);
  }

  /** Connects the client to the next eligible upstream, failing over on connect errors. */
  #connect(client: net.Socket, tried: number[]): void {
    const now = Date.now();
    const index = this.#policy.pick(
      (i) => this.#upstreams[i]!.isAvailable(now) && !tried.includes(i),
      client.remoteAddress ?? "",
    );
    if (index === -1 || client.destroyed) {
      client.destroy();
      return;
    }
    const upstream = this.#upstreams[index]!;
    upstream.passive.chosen();
    this.#counts.add(index);
    const socket = net.connect({ host: upstream.host, port: upstream.port, allowHalfOpen: true, noDelay: true });
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.#counts.sub(index);
    };
    const timer = setTimeout(
      () => socket.destroy(new Error(`connect timed out after ${this.#options.connectTimeoutMs} ms`)),
      this.#options.connectTimeoutMs,
    );
    let connected = false;
    const abandon = (): void => {
      socket.destroy();
    };
    client.once("close", abandon);
    // A client that leaves before the connect completes destroys the socket without an error event.
    socket.once("close", () => {
      if (connected) return;
      clearTimeout(timer);
      release();
      // No verdict on the upstream: a trial request it was given must not stay pending forever.
      if (client.destroyed) upstream.passive.releaseTrial();
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      client.off("close", abandon);
      release();
      if (client.destroyed) {
        upstream.passive.releaseTrial();
        return;
      }
      upstream.failed(Date.now(), `connect failed: ${error.code ?? error.message}`);
      tried.push(index);
      this.#connect(client, tried);
    });
    socket.once("connect", () => {
      connected = true;
      clearTimeout(timer);
      client.off("close", abandon);
      socket.removeAllListeners("error");
      upstream.succeeded();
      tunnel({ socket: client, buffered: EMPTY }, { socket, buffered: EMPTY }, this.#options.idleTimeoutMs, release);
    });
  }
}

const EMPTY = Buffer.alloc(0);
