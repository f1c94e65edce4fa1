// The start-up banner, as `serve` and Vite print theirs: a headline (what runs, threads, transport),
// then per listener the local URL and, when it listens on every interface, each address other machines
// can use, with a note that the server is reachable from the network. Colours only for a terminal and
// never with NO_COLOR. Pure text: the supervisor prints it once every worker listens.

import type { NetworkInterfaceInfo } from "node:os";
import type { ServerModel, TcpConfig } from "../config/load.ts";
import type { BoundAddresses } from "./messages.ts";

/** One bound listener, as the supervisor knows it after start. */
export interface BannerListener {
  readonly scheme: "http" | "https" | "tcp";
  /** The address bound: "::" or "0.0.0.0" for every interface. */
  readonly address: string;
  readonly port: number;
  /** Lines shown under its URLs (the HTTP port redirecting to it, the local CA's root). */
  readonly notes: readonly string[];
}

export type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * Whether to colour: never with NO_COLOR set to anything non-empty (no-color.org), else when
 * FORCE_COLOR says so (anything but "0" or "false"), else when stdout is a terminal.
 */
export function wantsColor(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force !== "false";
  return isTTY;
}

/** True for the wildcard addresses: listening on every interface. */
export function isEveryInterface(address: string): boolean {
  return address === "::" || address === "0.0.0.0" || address === "";
}

/**
 * The addresses other machines may reach a wildcard listener on: every non-internal address ("::"
 * is dual-stack, so IPv4 and IPv6; "0.0.0.0" IPv4 only), interface order. IPv6 link-local addresses
 * (fe80::/10) are left out: a URL for one needs a zone (`%eth0`), which browsers do not accept.
 */
export function networkAddresses(address: string, interfaces: Interfaces): string[] {
  const ipv6 = address !== "0.0.0.0";
  const out: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      if (info.family === "IPv4") out.push(info.address);
      else if (ipv6 && !/^fe[89ab]/i.test(info.address)) out.push(info.address);
    }
  }
  return [...new Set(out)];
}

/** The URL of a listener on this machine: localhost for a wildcard address. */
export function localUrl(l: BannerListener): string {
  return urlOf(l.scheme, isEveryInterface(l.address) ? "localhost" : l.address, l.port);
}

function urlOf(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}/`;
}

function isLoopback(address: string): boolean {
  return address === "::1" || address.startsWith("127.") || address === "localhost";
}

const STYLES = { bold: [1, 22], dim: [2, 22], cyan: [36, 39], green: [32, 39], yellow: [33, 39] } as const;

/**
 * The banner's lines, without a final newline. The first URL is always the first listener's local
 * URL (tests and scripts read the port from it).
 */
export function formatBanner(
  headline: string,
  listeners: readonly BannerListener[],
  options: {
    readonly color: boolean;
    readonly interfaces: Interfaces;
    /** How to keep a wildcard listener to this machine ("--host 127.0.0.1"), or "". */
    readonly localHint: string;
  },
): string {
  const paint = (style: keyof typeof STYLES, text: string): string =>
    options.color ? `\x1b[${STYLES[style][0]}m${text}\x1b[${STYLES[style][1]}m` : text;
  const lines = [options.color ? headline.replace(/^(\S+)/, (name) => paint("bold", paint("green", name))) : headline];
  let reachable = false;
  for (const l of listeners) {
    const every = isEveryInterface(l.address);
    const label = every || isLoopback(l.address) ? "Local:  " : "Address:";
    lines.push(`  ${paint("bold", label)} ${paint("cyan", localUrl(l))}`);
    if (every) {
      reachable = true;
      for (const a of networkAddresses(l.address, options.interfaces))
        lines.push(`  ${paint("bold", "Network:")} ${paint("cyan", urlOf(l.scheme, a, l.port))}`);
    }
    for (const note of l.notes) lines.push(`  ${paint("dim", note)}`);
  }
  if (reachable)
    lines.push(
      `  ${paint("yellow", `Listening on every interface: other machines on the network can reach this server${options.localHint === "" ? "" : ` (${options.localHint} keeps it local)`}.`)}`,
    );
  return lines.join("\n");
}

/**
 * What the banner lists for each bound address of `config`: its scheme, and under the first HTTPS
 * listener the redirect port (`httpPort` ≥ 0) and where the local CA's root is (`caRoot`, if any).
 */
export function bannerListeners(
  config: ServerModel | TcpConfig,
  addresses: BoundAddresses,
  httpPort: number,
  caRoot: string,
): BannerListener[] {
  const tlsListeners = config.kind === "http" && config.tls !== null ? config.tls.listeners : [];
  return addresses.map(({ address, port }, i) => {
    const scheme = config.kind === "tcp" ? "tcp" : tlsListeners.includes(i) ? "https" : "http";
    const notes: string[] = [];
    if (i === tlsListeners[0]) {
      const host = isEveryInterface(address) ? "localhost" : address.includes(":") ? `[${address}]` : address;
      if (httpPort >= 0) notes.push(`(redirect from http://${host}:${httpPort}/)`);
      if (caRoot !== "") notes.push(`(local CA root: ${caRoot}; \`portico trust\` shows how to trust it)`);
    }
    return { scheme, address, port, notes };
  });
}
