// `portico tcp`: the L4 proxy's configuration, from flags only (it has no sites, routes or file).

import os from "node:os";
import { ConfigError } from "./errors.ts";
import { notForTcp } from "./modes.ts";
import type { OptionValues } from "./options.ts";
import { type BalanceName, parseHostPort, type UpstreamSpec } from "./proxy-options.ts";

/** `portico tcp`: an L4 proxy; shares the runtime fields (port, host, threads…) with the HTTP model. */
export interface TcpConfig {
  readonly kind: "tcp";
  readonly port: number;
  readonly host: string;
  readonly threads: number;
  readonly quiet: boolean;
  readonly shutdownGraceMs: number;
  readonly upstreams: readonly UpstreamSpec[];
  readonly lb: BalanceName;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxFails: number;
  readonly failTimeoutMs: number;
  readonly healthIntervalMs: number;
  readonly healthRise: number;
  readonly healthFall: number;
}

/** The options portico tcp reads; any other given on its command line is refused. */
const TCP_KEYS = new Set([
  "threads",
  "quiet",
  "shutdownGraceMs",
  "listen",
  "upstream",
  "tcpIdleTimeoutMs",
  "lb",
  "proxyConnectTimeoutMs",
  "maxFails",
  "failTimeoutMs",
  "healthIntervalMs",
  "healthRise",
  "healthFall",
]);

export function tcpConfig(values: OptionValues, given: ReadonlySet<string>, positional: string | undefined): TcpConfig {
  // A flag portico tcp would ignore (--root, --proxy, --hash-key…) is a mistake worth naming.
  for (const key of given) {
    if (!TCP_KEYS.has(key)) throw notForTcp(key);
  }
  if (values.listen !== "" && positional !== undefined)
    throw new ConfigError(`unexpected argument ${JSON.stringify(positional)}: portico tcp listens where --listen says`);
  const listen = values.listen !== "" ? values.listen : positional;
  if (listen === undefined) throw new ConfigError("portico tcp needs --listen [HOST:]PORT");
  const colon = listen.lastIndexOf(":");
  const host = colon === -1 ? "" : listen.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const portText = colon === -1 ? listen : listen.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    throw new ConfigError(`--listen: expected [HOST:]PORT with a port from 0 to 65535, got ${JSON.stringify(listen)}`);
  if (values.upstream.length === 0) throw new ConfigError("portico tcp needs --upstream HOST:PORT[,HOST:PORT...]");
  return Object.freeze({
    kind: "tcp",
    port: Number(portText),
    host,
    threads: values.threads || Math.max(1, os.availableParallelism()),
    quiet: values.quiet,
    shutdownGraceMs: values.shutdownGraceMs,
    upstreams: values.upstream.map((item) => parseHostPort(item, "--upstream")),
    lb: values.lb,
    connectTimeoutMs: values.proxyConnectTimeoutMs,
    idleTimeoutMs: values.tcpIdleTimeoutMs,
    maxFails: values.maxFails,
    failTimeoutMs: values.failTimeoutMs,
    healthIntervalMs: values.healthIntervalMs,
    healthRise: values.healthRise,
    healthFall: values.healthFall,
  });
}
