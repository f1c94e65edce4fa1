// argv (and an optional JSON config file) → one validated, frozen Config. Every error names the
// flag or key at fault, so the CLI can print it as one line and exit 1. Values are converted from
// their human forms here ("64MiB", "500ms") so nothing downstream parses units.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError } from "./errors.ts";
import { OPTIONS, type OptionSpec, optionByFlag, optionByKey, optionByShort } from "./options.ts";
import {
  type BalanceName,
  checkHashKey,
  checkHealthPath,
  parseHealthStatus,
  parseHostPort,
  parseProxyRoutes,
  type ProxyRoute,
  type UpstreamSpec,
} from "./proxy-options.ts";

export type { BalanceName, ProxyRoute, UpstreamSpec };

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly threads: number;
  readonly root: string;
  readonly quiet: boolean;
  readonly shutdownGraceMs: number;
  /** How connections are driven (http/transport.ts); "auto" also heeds PORTICO_TRANSPORT. */
  readonly transport: "auto" | "uv" | "net";
  readonly index: readonly string[];
  readonly dotfiles: "deny" | "allow";
  readonly followSymlinks: boolean;
  readonly listing: boolean;
  readonly spa: boolean;
  readonly compress: boolean;
  readonly compressMinBytes: number;
  readonly cacheMaxFileBytes: number;
  readonly cacheMaxBytes: number;
  readonly revalidateMs: number;
  readonly cacheControl: string;
  readonly maxRequestLineBytes: number;
  readonly maxHeaderBytes: number;
  readonly maxHeaderCount: number;
  readonly maxBodyBytes: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly sendTimeoutMs: number;
  readonly maxRequestsPerConnection: number;
  readonly maxConnections: number;
  readonly writable: boolean;
  readonly mkdir: boolean;
  readonly fsync: boolean;
  readonly logFormat: "audit" | "common" | "combined" | "json";
  readonly accessLog: string;
  readonly statusPath: string;
  readonly vhosts: boolean;
  readonly requireHost: boolean;
  readonly http10: boolean;
  readonly methods: readonly string[];
  readonly errorDetail: boolean;
  /** 400 or 411 for a PUT without a body length (the httpserver preset wants 400). */
  readonly lengthRequiredStatus: 400 | 411;
  /** Reverse-proxy routes, longest prefix first at run time; empty = no proxy. */
  readonly proxy: readonly ProxyRoute[];
  /** An app module (absolute path) whose fetch answers what files and the proxy leave; "" for none. */
  readonly app: string;
  /** Serve files from root: always without --proxy or --app; with them, only when --root was given. */
  readonly serveFiles: boolean;
  readonly lb: BalanceName;
  readonly hashKey: string;
  readonly proxyHost: "keep" | "upstream";
  /** Extra CA certificates (PEM text, not the file name) trusted for https:// upstreams; "" for none. */
  readonly proxyCa: string;
  /** Verify https:// upstreams' certificates. */
  readonly proxyTlsVerify: boolean;
  readonly upstreamKeepalive: number;
  readonly upstreamKeepaliveTimeoutMs: number;
  readonly proxyConnectTimeoutMs: number;
  readonly proxyResponseTimeoutMs: number;
  readonly proxyIdleTimeoutMs: number;
  readonly proxyAttempts: number;
  readonly maxFails: number;
  readonly failTimeoutMs: number;
  readonly healthPath: string;
  readonly healthIntervalMs: number;
  /** Accepted statuses: a code (204) or a class digit (2 for 2xx). */
  readonly healthStatus: readonly number[];
  readonly healthRise: number;
  readonly healthFall: number;
  /** --cert/--key pairs, in the order given (the first is served when SNI matches nothing). */
  readonly certFiles: readonly { readonly cert: string; readonly key: string }[];
  /** Plain HTTP listener that redirects to HTTPS and answers ACME HTTP-01; -1 for none. */
  readonly httpPort: number;
  /** Get certificates from an ACME CA (--acme). */
  readonly acme: boolean;
  /** The site's host names: certified by ACME, or named in the local CA's certificate. */
  readonly domains: readonly string[];
  readonly acmeCa: string;
  readonly acmeEmail: string;
  /** Extra roots (PEM text) trusted for the ACME CA's HTTPS; "" for Node's bundled roots alone. */
  readonly acmeCaRoot: string;
  /** Local CA certificates (--tls internal). */
  readonly tlsInternal: boolean;
  readonly dataDir: string;
  /** Whether the main port speaks TLS (certificate files, ACME or the local CA). */
  readonly https: boolean;
}

/** `portico tcp`: an L4 proxy; shares the runtime fields (port, host, threads…) with Config. */
export interface TcpConfig {
  readonly mode: "tcp";
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

export { ConfigError };

export type Command =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "serve"; readonly config: Config }
  | { readonly kind: "tcp"; readonly config: TcpConfig };

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1 << 20,
  mb: 1 << 20,
  mib: 1 << 20,
  g: 1 << 30,
  gb: 1 << 30,
  gib: 1 << 30,
};
const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Converts one raw value (a flag's text or a config file's JSON value) for its option. */
function convert(spec: OptionSpec, raw: unknown, where: string): unknown {
  const fail = (what: string): never => {
    throw new ConfigError(`${where}: ${what}`);
  };
  switch (spec.type) {
    case "bool":
      if (typeof raw === "boolean") return raw;
      if (raw === "true") return true;
      if (raw === "false") return false;
      return fail(`expected true or false, got ${JSON.stringify(raw)}`);
    case "string":
      if (typeof raw !== "string") return fail(`expected a string, got ${JSON.stringify(raw)}`);
      return raw;
    case "multi":
      if (Array.isArray(raw) && raw.every((x) => typeof x === "string")) return raw;
      if (typeof raw === "string") return [raw];
      return fail(`expected a string or a list of strings, got ${JSON.stringify(raw)}`);
    case "list":
      if (Array.isArray(raw) && raw.every((x) => typeof x === "string")) return raw;
      if (typeof raw === "string")
        return raw
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== "");
      return fail(`expected a comma-separated list, got ${JSON.stringify(raw)}`);
    case "choice":
      if (typeof raw !== "string" || !spec.choices!.includes(raw))
        return fail(`expected one of ${spec.choices!.join(", ")}, got ${JSON.stringify(raw)}`);
      return raw;
    case "int":
    case "size":
    case "duration": {
      let value: number;
      if (typeof raw === "number") {
        value = raw;
      } else if (typeof raw === "string") {
        const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(raw.trim());
        if (m === null) return fail(`expected ${describe(spec)}, got ${JSON.stringify(raw)}`);
        const unit = m[2]!.toLowerCase();
        const factor =
          spec.type === "size"
            ? SIZE_UNITS[unit]
            : spec.type === "duration"
              ? unit === ""
                ? 1
                : TIME_UNITS[unit]
              : unit === ""
                ? 1
                : undefined;
        if (factor === undefined)
          return fail(`unknown unit "${m[2]}" in ${JSON.stringify(raw)} (expected ${describe(spec)})`);
        value = Number(m[1]) * factor;
      } else {
        return fail(`expected ${describe(spec)}, got ${JSON.stringify(raw)}`);
      }
      if (!Number.isFinite(value) || !Number.isInteger(Math.round(value)))
        return fail(`expected ${describe(spec)}, got ${JSON.stringify(raw)}`);
      value = Math.round(value);
      if (spec.type === "int" && typeof raw === "string" && !/^\d+$/.test(raw.trim()))
        return fail(`expected a whole number, got ${JSON.stringify(raw)}`);
      if (spec.min !== undefined && value < spec.min)
        return fail(`must be at least ${spec.min}${unitOf(spec)}, got ${JSON.stringify(raw)}`);
      if (spec.max !== undefined && value > spec.max)
        return fail(`must be at most ${spec.max}${unitOf(spec)}, got ${JSON.stringify(raw)}`);
      return value;
    }
  }
}

/** The unit a bound is given in: durations are held in milliseconds, sizes in bytes. */
function unitOf(spec: OptionSpec): string {
  return spec.type === "duration" ? "ms" : spec.type === "size" ? " bytes" : "";
}

function describe(spec: OptionSpec): string {
  if (spec.type === "size") return "a size such as 512, 64k or 16MiB";
  if (spec.type === "duration") return "a duration such as 500ms, 10s or 2m (plain numbers are milliseconds)";
  return "a whole number";
}

/** Parses argv (without node and script) into a command. Throws ConfigError naming the bad flag or key. */
export function parseCommandLine(argv: readonly string[], defaults: Readonly<Record<string, unknown>> = {}): Command {
  const tcp = argv[0] === "tcp";
  if (tcp) argv = argv.slice(1);
  const values = new Map<string, unknown>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") return { kind: "help" };
    if (arg === "--version" || arg === "-v") return { kind: "version" };
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    let name: string;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      spec = optionByFlag(name);
      if (spec === undefined && name.startsWith("no-")) {
        const negated = optionByFlag(name.slice(3));
        if (negated?.type === "bool" && inline === undefined) {
          values.set(negated.key, false);
          continue;
        }
      }
      name = `--${name}`;
    } else {
      name = arg.slice(0, 2);
      spec = optionByShort(arg.slice(1, 2));
      if (arg.length > 2) inline = arg.slice(2);
    }
    if (spec === undefined) throw new ConfigError(`unknown option ${name} (see --help)`);
    if (spec.type === "bool" && inline === undefined) {
      values.set(spec.key, true);
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new ConfigError(`${name} needs a value (${spec.meta ?? spec.type})`);
    const value = convert(spec, raw, name);
    if (spec.type === "multi")
      values.set(spec.key, [...((values.get(spec.key) as string[] | undefined) ?? []), ...(value as string[])]);
    else values.set(spec.key, value);
  }
  if (positionals.length > 1)
    throw new ConfigError(`unexpected argument ${JSON.stringify(positionals[1])} (only one port may be given)`);

  const merged = new Map<string, unknown>();
  let rootGiven = values.has("root");
  let hashKeyGiven = values.has("hashKey");
  for (const spec of OPTIONS) merged.set(spec.key, defaults[spec.key] ?? spec.default);
  // Preset-only settings that have no flag.
  if (defaults.lengthRequiredStatus !== undefined) merged.set("lengthRequiredStatus", defaults.lengthRequiredStatus);
  const configFile = values.get("config");
  if (typeof configFile === "string" && configFile !== "") {
    for (const [key, value] of readConfigFile(configFile)) {
      merged.set(key, value);
      if (key === "root") rootGiven = true;
      if (key === "hashKey") hashKeyGiven = true;
    }
  }
  for (const [key, value] of values) merged.set(key, value);

  if (tcp) {
    // A flag portico tcp would ignore (--root, --proxy, --hash-key…) is a mistake worth naming.
    for (const key of values.keys()) {
      if (!TCP_KEYS.has(key))
        throw new ConfigError(`--${optionByKey(key)?.flag ?? key} does not apply to portico tcp (see --help)`);
    }
    return { kind: "tcp", config: finishTcp(merged, positionals[0]) };
  }
  // Silently balancing some other way than the one asked for would be worse than refusing to start.
  if (hashKeyGiven && merged.get("lb") !== "hash")
    throw new ConfigError(`--hash-key applies only with --lb hash (the policy is ${String(merged.get("lb"))})`);
  let port = typeof defaults.port === "number" ? defaults.port : 8080;
  if (positionals.length === 1) port = parsePort(positionals[0]!);
  else if (merged.has("port") && typeof merged.get("port") === "number") port = merged.get("port") as number;
  return { kind: "serve", config: finish(merged, port, rootGiven) };
}

export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535)
    throw new ConfigError(`invalid port ${JSON.stringify(text)} (expected 0-65535)`);
  return Number(text);
}

function readConfigFile(file: string): Map<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`--config: cannot read ${file}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`--config: ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data))
    throw new ConfigError(`--config: ${file} must hold a JSON object`);
  const out = new Map<string, unknown>();
  for (const [key, raw] of Object.entries(data)) {
    if (key === "port") {
      out.set("port", typeof raw === "number" ? parsePort(String(raw)) : parsePort(String(raw)));
      continue;
    }
    const spec = optionByKey(key);
    if (spec === undefined || key === "config") throw new ConfigError(`${file}: unknown key "${key}"`);
    out.set(key, convert(spec, raw, `${file}: key "${key}"`));
  }
  return out;
}

function finish(values: Map<string, unknown>, port: number, rootGiven: boolean): Config {
  const get = <T>(key: string): T => values.get(key) as T;
  let root = get<string>("root");
  try {
    const stat = fs.statSync(root);
    if (!stat.isDirectory()) throw new ConfigError(`--root: ${root} is not a directory`);
    root = fs.realpathSync(root);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`--root: ${root} does not exist or cannot be read`);
  }
  if (/[\0-\x1f\x7f]/.test(get<string>("cacheControl")))
    throw new ConfigError("--cache-control: control characters are not allowed in a field value");
  const index = get<readonly string[]>("index");
  for (const name of index) {
    if (name.includes("/") || name === "." || name === "..")
      throw new ConfigError(`--index: ${JSON.stringify(name)} must be a plain file name`);
  }
  const threads = get<number>("threads") || Math.max(1, os.availableParallelism());
  const proxy = parseProxyRoutes(get("proxy"));
  const app = appFile(get("app"));
  const config: Config = {
    port,
    host: get("host"),
    threads,
    root,
    quiet: get("quiet"),
    shutdownGraceMs: get("shutdownGraceMs"),
    transport: get("transport"),
    index: get("index"),
    dotfiles: get("dotfiles"),
    followSymlinks: get("followSymlinks"),
    listing: get("listing"),
    spa: get("spa"),
    compress: get("compress"),
    compressMinBytes: get("compressMinBytes"),
    cacheMaxFileBytes: get("cacheMaxFileBytes"),
    cacheMaxBytes: get("cacheMaxBytes"),
    revalidateMs: get("revalidateMs"),
    cacheControl: get("cacheControl"),
    maxRequestLineBytes: get("maxRequestLineBytes"),
    maxHeaderBytes: get("maxHeaderBytes"),
    maxHeaderCount: get("maxHeaderCount"),
    maxBodyBytes: get("maxBodyBytes"),
    headersTimeoutMs: get("headersTimeoutMs"),
    bodyTimeoutMs: get("bodyTimeoutMs"),
    keepAliveTimeoutMs: get("keepAliveTimeoutMs"),
    sendTimeoutMs: get("sendTimeoutMs"),
    maxRequestsPerConnection: get("maxRequestsPerConnection"),
    maxConnections: get("maxConnections"),
    writable: get("writable"),
    mkdir: get("mkdir"),
    fsync: get("fsync"),
    logFormat: get("logFormat"),
    accessLog: get("accessLog"),
    statusPath: normalizeStatusPath(get("statusPath")),
    vhosts: get("vhosts"),
    requireHost: get("requireHost"),
    http10: get("http10"),
    methods: get("methods"),
    errorDetail: get("errorDetail"),
    lengthRequiredStatus: values.get("lengthRequiredStatus") === 400 ? 400 : 411,
    proxy,
    app,
    serveFiles: (proxy.length === 0 && app === "") || rootGiven,
    lb: get("lb"),
    hashKey: checkHashKey(get("hashKey")),
    proxyHost: get("proxyHost"),
    proxyCa: readProxyCa(get("proxyCa")),
    proxyTlsVerify: get<string>("proxyTlsVerify") === "on",
    upstreamKeepalive: get("upstreamKeepalive"),
    upstreamKeepaliveTimeoutMs: get("upstreamKeepaliveTimeoutMs"),
    proxyConnectTimeoutMs: get("proxyConnectTimeoutMs"),
    proxyResponseTimeoutMs: get("proxyResponseTimeoutMs"),
    proxyIdleTimeoutMs: get("proxyIdleTimeoutMs"),
    proxyAttempts: get("proxyAttempts"),
    maxFails: get("maxFails"),
    failTimeoutMs: get("failTimeoutMs"),
    healthPath: checkHealthPath(get("healthPath")),
    healthIntervalMs: get("healthIntervalMs"),
    healthStatus: parseHealthStatus(get("healthStatus")),
    healthRise: get("healthRise"),
    healthFall: get("healthFall"),
    ...tlsSettings(values),
  };
  return Object.freeze(config);
}

/** The HTTPS fields of Config: flags checked against each other (certificate files are read by runtime/). */
function tlsSettings(
  values: Map<string, unknown>,
): Pick<
  Config,
  | "certFiles"
  | "httpPort"
  | "acme"
  | "domains"
  | "acmeCa"
  | "acmeEmail"
  | "acmeCaRoot"
  | "tlsInternal"
  | "dataDir"
  | "https"
> {
  const certs = values.get("cert") as string[];
  const keys = values.get("key") as string[];
  if (certs.length !== keys.length)
    throw new ConfigError(`--cert and --key come in pairs (${certs.length} --cert, ${keys.length} --key)`);
  const acme = values.get("acme") === true;
  const domains = (values.get("domain") as string[]).map((d) => d.toLowerCase());
  if (acme && domains.length === 0) throw new ConfigError("--acme needs --domain NAMES (the host names to certify)");
  const internal = values.get("tls") === "internal";
  if (!acme && !internal && domains.length > 0) throw new ConfigError("--domain applies with --acme or --tls internal");
  for (const d of domains) {
    if (!/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(d))
      throw new ConfigError(`--domain: ${JSON.stringify(d)} is not a host name`);
    if (d.startsWith("*."))
      throw new ConfigError(`--domain: ${d}: wildcard names need the DNS-01 challenge, which Portico does not do`);
  }
  if (internal && acme) throw new ConfigError("--tls internal and --acme exclude each other");
  const ca = values.get("acmeCa") as string;
  if (acme && !/^https:\/\/[^\s]+$/.test(ca))
    throw new ConfigError(`--acme-ca: expected an https:// URL, got ${JSON.stringify(ca)}`);
  const rootFile = values.get("acmeCaRoot") as string;
  let root = "";
  if (rootFile !== "") {
    try {
      root = fs.readFileSync(rootFile, "utf8");
    } catch {
      throw new ConfigError(`--acme-ca-root: ${rootFile} does not exist or cannot be read`);
    }
    if (!root.includes("-----BEGIN CERTIFICATE-----"))
      throw new ConfigError(`--acme-ca-root: ${rootFile} holds no PEM certificate`);
  }
  const https = certs.length > 0 || acme || internal;
  const httpPort = values.get("httpPort") as number;
  if (httpPort >= 0 && !https)
    throw new ConfigError("--http-port redirects to HTTPS: give --cert/--key, --acme or --tls internal");
  return {
    certFiles: certs.map((cert, i) => ({ cert, key: keys[i]! })),
    httpPort,
    acme,
    domains,
    acmeCa: ca,
    acmeEmail: values.get("acmeEmail") as string,
    acmeCaRoot: root,
    tlsInternal: internal,
    dataDir: dataDirectory(values.get("dataDir") as string),
    https,
  };
}

/** --data-dir, else $XDG_DATA_HOME/portico, else ~/.local/share/portico (XDG Base Directory). */
export function dataDirectory(given: string): string {
  if (given !== "") return given;
  const xdg = process.env.XDG_DATA_HOME;
  if (xdg?.startsWith("/")) return `${xdg}/portico`;
  return `${os.homedir()}/.local/share/portico`;
}

/** --app: the module's absolute path (each worker imports it), checked to be a readable file now. */
function appFile(file: string): string {
  if (file === "") return "";
  const absolute = path.resolve(file);
  try {
    if (!fs.statSync(absolute).isFile()) throw new ConfigError(`--app: ${file} is not a file`);
    fs.accessSync(absolute, fs.constants.R_OK);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`--app: ${file} does not exist or cannot be read`);
  }
  return absolute;
}

/** The PEM text of --proxy-ca (read once here, so a bad file stops the start with its name). */
function readProxyCa(file: string): string {
  if (file === "") return "";
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new ConfigError(`--proxy-ca: ${file} does not exist or cannot be read`);
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----"))
    throw new ConfigError(`--proxy-ca: ${file} holds no PEM certificate`);
  return text;
}

function normalizeStatusPath(value: string): string {
  if (value === "") return "";
  if (!value.startsWith("/") || /[\s?#%]/.test(value))
    throw new ConfigError(`--status-path: expected a path such as /_portico, got ${JSON.stringify(value)}`);
  return value.replace(/\/+$/, "") || "/_portico";
}

/** The options portico tcp reads; any other given on its command line is refused. */
const TCP_KEYS = new Set([
  "config",
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

function finishTcp(values: Map<string, unknown>, positional: string | undefined): TcpConfig {
  const get = <T>(key: string): T => values.get(key) as T;
  const given = get<string>("listen");
  if (given !== "" && positional !== undefined)
    throw new ConfigError(`unexpected argument ${JSON.stringify(positional)}: portico tcp listens where --listen says`);
  const listen = given !== "" ? given : positional;
  if (listen === undefined) throw new ConfigError("portico tcp needs --listen [HOST:]PORT");
  const colon = listen.lastIndexOf(":");
  const host = colon === -1 ? "" : listen.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const portText = colon === -1 ? listen : listen.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    throw new ConfigError(`--listen: expected [HOST:]PORT with a port from 0 to 65535, got ${JSON.stringify(listen)}`);
  const port = Number(portText);
  const list = get<string[]>("upstream");
  if (list.length === 0) throw new ConfigError("portico tcp needs --upstream HOST:PORT[,HOST:PORT...]");
  const upstreams = list.map((item) => parseHostPort(item, "--upstream"));
  const config: TcpConfig = {
    mode: "tcp",
    port,
    host,
    threads: get<number>("threads") || Math.max(1, os.availableParallelism()),
    quiet: get("quiet"),
    shutdownGraceMs: get("shutdownGraceMs"),
    upstreams,
    lb: get("lb"),
    connectTimeoutMs: get("proxyConnectTimeoutMs"),
    idleTimeoutMs: get("tcpIdleTimeoutMs"),
    maxFails: get("maxFails"),
    failTimeoutMs: get("failTimeoutMs"),
    healthIntervalMs: get("healthIntervalMs"),
    healthRise: get("healthRise"),
    healthFall: get("healthFall"),
  };
  return Object.freeze(config);
}

/** Usage text, generated from the option table. */
export function usage(): string {
  const lines = [
    "Usage: portico [options] [port]",
    "       portico tcp --listen [HOST:]PORT --upstream HOST:PORT[,...] [options]",
    "       portico trust [--data-dir DIR]   (how to trust the --tls internal CA; changes nothing)",
    "",
    "Serves a directory over HTTP/1.1 (port defaults to 8080), reverse-proxies with --proxy,",
    "or relays TCP streams with `portico tcp`.",
    "",
  ];
  let group = "";
  for (const spec of OPTIONS) {
    if (spec.group !== group) {
      group = spec.group;
      lines.push(`${group}:`);
    }
    const short = spec.short !== undefined ? `-${spec.short}, ` : "    ";
    const value = spec.type === "bool" ? "" : ` ${spec.meta ?? "VALUE"}`;
    const left = `  ${short}--${spec.flag}${value}`;
    // Long flags push their help text over but never run into it.
    lines.push(left.padEnd(Math.max(36, left.length + 2)) + spec.help);
  }
  lines.push(
    "",
    "  -h, --help                        show this help",
    "  -v, --version                     print the version",
  );
  return lines.join("\n");
}
