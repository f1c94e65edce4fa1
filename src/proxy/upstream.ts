// One upstream server as one worker sees it: its address and weight, its health (passive and
// active, kept apart from selection) and its keep-alive pool. Health changes are published as events.

import { ActiveHealth } from "./health/active.ts";
import { type PassiveOptions, PassiveHealth } from "./health/passive.ts";
import { upstreamDownChannel, upstreamUpChannel } from "./events.ts";
import { KeepAlivePool, type Poolable } from "./pool.ts";
import type { UpstreamTls } from "./tls-transport.ts";

export interface UpstreamAddress {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  /** How to reach an https:// upstream; null or absent for plain http://. */
  readonly tls?: UpstreamTls | null;
}

export interface UpstreamOptions {
  readonly passive: PassiveOptions;
  /** Idle keep-alive connections kept per upstream (per thread). */
  readonly maxIdle: number;
  readonly rise: number;
  readonly fall: number;
}

export class Upstream<C extends Poolable = Poolable> {
  readonly index: number;
  readonly host: string;
  readonly port: number;
  /** "host:port" as written in a Host field ([v6]:port for IPv6). */
  readonly authority: string;
  readonly weight: number;
  /** TLS settings for an https:// upstream, null for http://. */
  readonly tls: UpstreamTls | null;
  readonly passive: PassiveHealth;
  readonly active: ActiveHealth;
  readonly pool: KeepAlivePool<C>;

  constructor(index: number, address: UpstreamAddress, options: UpstreamOptions) {
    this.index = index;
    this.host = address.host;
    this.port = address.port;
    this.weight = address.weight;
    this.tls = address.tls ?? null;
    this.authority = `${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`;
    this.passive = new PassiveHealth(options.passive);
    this.active = new ActiveHealth(options.rise, options.fall);
    this.pool = new KeepAlivePool<C>(options.maxIdle);
  }

  /** In rotation: active checks pass and passive health has not ejected it (or allows a trial). */
  isAvailable(nowMs: number): boolean {
    return this.active.up && this.passive.isAvailable(nowMs);
  }

  succeeded(): void {
    if (this.passive.recordSuccess() && upstreamUpChannel.hasSubscribers) {
      upstreamUpChannel.publish({ upstream: this.authority, source: "passive", reason: "trial request succeeded" });
    }
  }

  failed(nowMs: number, reason: string): void {
    if (!this.passive.recordFailure(nowMs)) return;
    this.pool.clear();
    if (upstreamDownChannel.hasSubscribers)
      upstreamDownChannel.publish({ upstream: this.authority, source: "passive", reason });
  }

  /** Called by the active checker when probes flip the state. */
  activeChanged(up: boolean, reason: string): void {
    if (!up) this.pool.clear();
    const channel = up ? upstreamUpChannel : upstreamDownChannel;
    if (channel.hasSubscribers) channel.publish({ upstream: this.authority, source: "active", reason });
  }
}
