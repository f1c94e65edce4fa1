// The proxy's option values that have a syntax of their own: --proxy routes ([PREFIX=]URL[,URL...]
// with ?weight=N), TCP upstreams (HOST:PORT), hash keys and health-check settings. Pure parsing into
// typed values; each error names the flag. Defaults and help live in options.ts like every option's.

import { ConfigError } from "./errors.ts";

export type BalanceName = "least-conn" | "round-robin" | "weighted" | "p2c" | "hash";

export interface UpstreamSpec {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  /** https:// (TLS to the upstream); always false for TCP upstreams. */
  readonly tls: boolean;
}

export interface ProxyRoute {
  /** Path prefix, "/" for everything. */
  readonly prefix: string;
  /** The URLs' common path replacing the prefix, or null when the URLs have none (path kept). */
  readonly basePath: string | null;
  readonly upstreams: readonly UpstreamSpec[];
}

/** HOST:PORT with an optional ?weight=N (the TCP upstream form). */
export function parseHostPort(item: string, flag: string): UpstreamSpec {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s/?]+):(\d{1,5})(?:\?weight=(\d+))?$/.exec(item.trim());
  if (m === null) throw new ConfigError(`${flag}: expected HOST:PORT, got ${JSON.stringify(item)}`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535)
    throw new ConfigError(`${flag}: expected a port from 1 to 65535 in ${JSON.stringify(item)}`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, "$1"), port, weight: parseWeight(m[3], flag, item), tls: false };
}

function parseWeight(text: string | undefined | null, flag: string, item: string): number {
  if (text === undefined || text === null) return 1;
  const weight = Number(text);
  if (!/^\d+$/.test(text) || weight < 1 || weight > 1000)
    throw new ConfigError(`${flag}: weight must be 1-1000 in ${JSON.stringify(item)}`);
  return weight;
}

/** `[PREFIX=]URL[,URL...]` per --proxy flag → routes; prefixes must be distinct. */
export function parseProxyRoutes(items: readonly string[]): ProxyRoute[] {
  const routes: ProxyRoute[] = [];
  for (const item of items) {
    let prefix = "/";
    let urls = item.trim();
    if (urls.startsWith("/")) {
      const eq = urls.indexOf("=");
      if (eq === -1) throw new ConfigError(`--proxy: expected PREFIX=URL after the prefix in ${JSON.stringify(item)}`);
      prefix = urls.slice(0, eq);
      urls = urls.slice(eq + 1);
      if (!/^\/[\x21-\x7e]*$/.test(prefix) || prefix.includes("?") || prefix.includes("#"))
        throw new ConfigError(`--proxy: invalid prefix ${JSON.stringify(prefix)}`);
    }
    if (routes.some((r) => r.prefix === prefix)) throw new ConfigError(`--proxy: prefix ${prefix} is given twice`);
    const { upstreams, basePath } = parseUpstreamUrls(
      urls
        .split(",")
        .map((u) => u.trim())
        .filter((u) => u !== ""),
      "--proxy",
      item,
    );
    routes.push({ prefix, basePath, upstreams });
  }
  return routes;
}

export function checkHashKey(text: string): string {
  if (text === "ip" || /^(header|cookie):[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(text)) return text;
  throw new ConfigError(`--hash-key: expected ip, header:NAME or cookie:NAME, got ${JSON.stringify(text)}`);
}

export function checkHealthPath(text: string): string {
  if (text === "" || /^\/[\x21-\x7e]*$/.test(text)) return text;
  throw new ConfigError(`--health-path: expected a path starting with /, got ${JSON.stringify(text)}`);
}

export function parseHealthStatus(items: readonly string[]): number[] {
  return items.map((item) => {
    const m = /^([1-5])(xx|\d\d)$/i.exec(item);
    if (m === null)
      throw new ConfigError(
        `--health-status: expected codes such as 200 or classes such as 2xx, got ${JSON.stringify(item)}`,
      );
    return m[2]!.toLowerCase() === "xx" ? Number(m[1]) : Number(item);
  });
}

/**
 * Upstream URLs (http:// or https://, ?weight=N) → upstreams and the path they share, which replaces
 * the route's path (null when the URLs have none). `label` starts each message (a flag, or a file's
 * "file:line: upstreams"); `item` is what is quoted when the URLs disagree.
 */
export function parseUpstreamUrls(
  urls: readonly string[],
  label: string,
  item: string,
): { upstreams: UpstreamSpec[]; basePath: string | null } {
  let basePath: string | null | undefined;
  const upstreams: UpstreamSpec[] = [];
  for (const text of urls) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ConfigError(`${label}: invalid URL ${JSON.stringify(text)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw new ConfigError(`${label}: expected an http:// or https:// URL, got ${JSON.stringify(text)}`);
    const tls = url.protocol === "https:";
    if (url.username !== "" || url.password !== "" || url.hash !== "")
      throw new ConfigError(`${label}: unexpected credentials or fragment in ${JSON.stringify(text)}`);
    const extra = [...url.searchParams.keys()].filter((k) => k !== "weight");
    if (extra.length > 0)
      throw new ConfigError(`${label}: unknown parameter ${extra[0]} in ${JSON.stringify(text)} (only weight=N)`);
    // new URL() normalises an absent path to "/": look at the text to tell "no path" apart.
    const hasPath = /^https?:\/\/[^/?#]+\//i.test(text);
    const path = hasPath ? url.pathname : null;
    if (basePath !== undefined && basePath !== path)
      throw new ConfigError(`${label}: all URLs of one prefix must share the same path (${JSON.stringify(item)})`);
    basePath = path;
    upstreams.push({
      host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: url.port === "" ? (tls ? 443 : 80) : Number(url.port),
      weight: parseWeight(url.searchParams.get("weight"), label, text),
      tls,
    });
  }
  if (upstreams.length === 0) throw new ConfigError(`${label}: no upstream URL in ${JSON.stringify(item)}`);
  return { upstreams, basePath: basePath ?? null };
}
