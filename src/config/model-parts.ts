// The pieces of the model that files and flags build alike, each checked as it is built: listen
// addresses, host names, route paths, middleware (headers, basic_auth with its htpasswd file,
// allow/deny, rate_limit, cors), proxy handlers — and the whole: listeners and the conflicts between
// sites. Every check reports through `fail(path, message)`, which names a file line or a flag.

import fs from "node:fs";
import os from "node:os";
import { parseCidr } from "../common/cidr.ts";
import type { KeyPath } from "./locate.ts";
import type {
  AccessModel,
  BasicAuthModel,
  CorsModel,
  HeaderRules,
  ListenerModel,
  ProxyHandlerModel,
  ProxySettings,
  RateLimitModel,
  ServerModel,
  SiteModel,
  FilesHandlerModel,
  TlsModel,
  UpstreamSpec,
} from "./model.ts";
import type { OptionValues } from "./options.ts";
import { checkHashKey, checkHealthPath, parseHealthStatus, parseUpstreamUrls } from "./proxy-options.ts";
import { ConfigError } from "./errors.ts";

/** Reports a problem at a key path (a file line, or a flag) and never returns. */
export type Fail = (path: KeyPath, message: string) => never;

/** A site before its listeners are gathered: the listen addresses it named, and where. */
export interface SiteDraft {
  readonly site: SiteModel;
  readonly listen: readonly ListenAddress[];
  readonly path: KeyPath;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  readonly name: string;
}

/** "[HOST:]PORT": "8080", "127.0.0.1:8080", "[::1]:8080", "localhost:8080", "*:8080". */
export function parseListen(text: string, fail: Fail, path: KeyPath): ListenAddress {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+|\*)?:)?(\d{1,5})$/.exec(text.trim());
  if (m === null || Number(m[2]) > 65535)
    return fail(path, `listen must be "[HOST:]PORT" with a port from 0 to 65535, got ${JSON.stringify(text)}`);
  const host = m[1] === undefined || m[1] === "*" ? "" : m[1].replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return { host, port: Number(m[2]), name: text.trim() };
}

/** A host name as sites name them: lower-case, no port, no trailing dot; "*." only as the first label. */
export function checkHost(text: string, fail: Fail, path: KeyPath): string {
  const name = text.toLowerCase().replace(/\.$/, "");
  const labels = name.startsWith("*.") ? name.slice(2) : name;
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*)$/.test(labels))
    return fail(path, `hosts must be names such as "example.test" or "*.example.test", got ${JSON.stringify(text)}`);
  return name;
}

/** A route's path: "/prefix" or "=/exact"; no query, fragment, dot segments or control characters. */
export function parseRoutePath(text: string, fail: Fail, path: KeyPath): { path: string; exact: boolean } {
  const exact = text.startsWith("=");
  const p = exact ? text.slice(1) : text;
  if (!p.startsWith("/") || /[\s?#\0-\x1f\x7f]/.test(p) || /(^|\/)\.\.?(\/|$)/.test(p) || p.includes("//"))
    return fail(
      path,
      `path must start with "/" (or "=/" for an exact path) and hold no query, spaces or dot segments, got ${JSON.stringify(text)}`,
    );
  return { path: p, exact };
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Fields the engine writes itself: editing them would break framing or the connection's state. */
const ENGINE_FIELDS = new Set(["content-length", "transfer-encoding", "connection", "date", "keep-alive", "upgrade"]);

/** `{ "Name" = v, "+Name" = v, "-Name" = "" }` → set/add/remove rules. */
export function parseHeaders(table: Readonly<Record<string, string>>, fail: Fail, path: KeyPath): HeaderRules {
  const set: [string, string][] = [];
  const add: [string, string][] = [];
  const remove: string[] = [];
  for (const [key, value] of Object.entries(table)) {
    const op = key[0] === "+" || key[0] === "-" ? key[0] : "";
    const name = op === "" ? key : key.slice(1);
    const at = [...path, key];
    if (!TOKEN.test(name)) fail(at, `headers: ${JSON.stringify(name)} is not a valid field name`);
    if (ENGINE_FIELDS.has(name.toLowerCase()))
      fail(at, `headers: ${name} is written by the server itself and cannot be changed`);
    if (/[\0\r\n]/.test(value)) fail(at, `headers: the value of ${name} holds a control character`);
    if (op === "-") {
      if (value !== "") fail(at, `headers: "-${name}" removes the field; give it "" as its value`);
      remove.push(name.toLowerCase());
    } else if (op === "+") add.push([name, value]);
    else set.push([name, value]);
  }
  return { set, add, remove };
}

/** Site rules first, then the route's: a route's `set` of a name replaces the site's. */
export function mergeHeaders(site: HeaderRules | null, route: HeaderRules | null): HeaderRules | null {
  if (site === null) return route;
  if (route === null) return site;
  const replaced = new Set([...route.set.map(([n]) => n.toLowerCase()), ...route.remove]);
  return {
    set: [...site.set.filter(([n]) => !replaced.has(n.toLowerCase())), ...route.set],
    add: [...site.add.filter(([n]) => !replaced.has(n.toLowerCase())), ...route.add],
    remove: [...new Set([...site.remove, ...route.remove])],
  };
}

/** Reads an htpasswd file: every entry must be bcrypt (`htpasswd -B`). */
export function readHtpasswd(file: string, shownAs: string, realm: string, fail: Fail, path: KeyPath): BasicAuthModel {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    return fail(path, `htpasswd file ${shownAs} cannot be read: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const users: { name: string; hash: string }[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "" || line.startsWith("#")) return;
    const colon = line.indexOf(":");
    const name = line.slice(0, colon);
    const hash = line.slice(colon + 1).trim();
    if (colon <= 0 || !/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash))
      fail(path, `htpasswd file ${shownAs} line ${i + 1}: only bcrypt entries are supported (htpasswd -B)`);
    users.push({ name, hash });
  });
  if (users.length === 0) fail(path, `htpasswd file ${shownAs} has no entries`);
  if (/["\\\0-\x1f]/.test(realm)) fail(path, "realm may not hold quotes, backslashes or control characters");
  return { realm, users };
}

export function parseAccess(
  allow: readonly string[] | undefined,
  deny: readonly string[] | undefined,
  fail: Fail,
  path: KeyPath,
): AccessModel | null {
  if (allow === undefined && deny === undefined) return null;
  for (const [key, list] of [
    ["allow", allow],
    ["deny", deny],
  ] as const) {
    (list ?? []).forEach((item, i) => {
      if (parseCidr(item) === null)
        fail(
          [...path, key, i],
          `${key} must list addresses or CIDR ranges such as "10.0.0.0/8", got ${JSON.stringify(item)}`,
        );
    });
  }
  return { allow: allow ?? [], deny: deny ?? [] };
}

const PER_SECOND: Readonly<Record<string, number>> = { s: 1, m: 1 / 60, h: 1 / 3600 };

export function parseRateLimit(
  data: { rate: string; burst?: number | undefined; key?: string | undefined },
  zone: number,
  fail: Fail,
  path: KeyPath,
): RateLimitModel {
  const [count, unit] = data.rate.split("/") as [string, string];
  const perSecond = Number(count) * PER_SECOND[unit]!;
  if (!(perSecond > 0) || perSecond > 1_000_000)
    fail([...path, "rate"], `rate must be above 0 and at most 1000000/s, got ${JSON.stringify(data.rate)}`);
  const key = data.key ?? "ip";
  if (key !== "ip" && !/^(header|cookie):[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(key))
    fail([...path, "key"], `key must be "ip", "header:NAME" or "cookie:NAME", got ${JSON.stringify(key)}`);
  return { perSecond, burst: data.burst ?? 0, key, zone };
}

export function parseCors(
  data: {
    origins: readonly string[];
    methods?: readonly string[] | undefined;
    headers?: readonly string[] | undefined;
    expose?: readonly string[] | undefined;
    credentials?: boolean | undefined;
    max_age?: number | string | undefined;
  },
  maxAgeMs: number,
  fail: Fail,
  path: KeyPath,
): CorsModel {
  data.origins.forEach((origin, i) => {
    if (origin !== "*" && !/^https?:\/\/[^/\s?#]+$/.test(origin))
      fail(
        [...path, "origins", i],
        `origins must be "*" or origins such as "https://app.test" (no path), got ${JSON.stringify(origin)}`,
      );
  });
  const tokens = (list: readonly string[] | undefined, key: string): readonly string[] => {
    (list ?? []).forEach((t, i) => {
      if (!TOKEN.test(t)) fail([...path, key, i], `${key} must list tokens, got ${JSON.stringify(t)}`);
    });
    return list ?? [];
  };
  return {
    origins: data.origins,
    methods:
      data.methods === undefined ? ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] : tokens(data.methods, "methods"),
    headers: tokens(data.headers, "headers"),
    expose: tokens(data.expose, "expose"),
    credentials: data.credentials ?? false,
    maxAgeSeconds: Math.floor(maxAgeMs / 1000),
  };
}

/** A proxy handler from its upstream URLs and option values. */
export function buildProxy(
  urls: readonly string[] | { readonly upstreams: readonly UpstreamSpec[]; readonly basePath: string | null },
  settings: ProxySettings & { readonly proxyCa: string; readonly healthStatusList: readonly string[] },
  hashKeyGiven: boolean,
  tryFiles: FilesHandlerModel | null,
  fail: Fail,
  path: KeyPath,
): ProxyHandlerModel {
  const at = (key: string, run: () => unknown): void => {
    try {
      run();
    } catch (error) {
      if (error instanceof ConfigError) fail([...path, key], error.message.replace(/^--[a-z-]+: /, `${key}: `));
      throw error;
    }
  };
  let parsed: { upstreams: readonly UpstreamSpec[]; basePath: string | null } = { upstreams: [], basePath: null };
  if ("upstreams" in urls) parsed = { upstreams: urls.upstreams, basePath: urls.basePath };
  else
    at("upstreams", () => {
      parsed = parseUpstreamUrls(urls, "upstreams", urls.join(","));
    });
  // Silently balancing some other way than the one asked for would be worse than refusing to start.
  if (hashKeyGiven && settings.lb !== "hash")
    fail([...path, "hash_key"], `hash_key applies only with lb = "hash" (the policy is ${settings.lb})`);
  at("hash_key", () => checkHashKey(settings.hashKey));
  at("health_path", () => checkHealthPath(settings.healthPath));
  let healthStatus: number[] = [];
  at("health_status", () => {
    healthStatus = parseHealthStatus(settings.healthStatusList);
  });
  let ca = "";
  if (settings.proxyCa !== "") {
    try {
      ca = fs.readFileSync(settings.proxyCa, "utf8");
    } catch {
      fail([...path, "proxy_ca"], `proxy_ca: ${settings.proxyCa} does not exist or cannot be read`);
    }
    if (!ca.includes("-----BEGIN CERTIFICATE-----"))
      fail([...path, "proxy_ca"], `proxy_ca: ${settings.proxyCa} holds no PEM certificate`);
  }
  const { proxyCa: _ca, healthStatusList: _h, ...rest } = settings;
  return {
    kind: "proxy",
    upstreams: parsed.upstreams,
    basePath: parsed.basePath,
    settings: rest,
    ca,
    healthStatus,
    tryFiles,
  };
}

/** The proxy option values of a values record (flags, or defaults with a file's keys laid over). */
export function proxySettings(
  v: OptionValues,
): ProxySettings & { proxyCa: string; healthStatusList: readonly string[] } {
  return {
    lb: v.lb,
    hashKey: v.hashKey,
    proxyHost: v.proxyHost,
    proxyTlsVerify: v.proxyTlsVerify,
    upstreamKeepalive: v.upstreamKeepalive,
    upstreamKeepaliveTimeoutMs: v.upstreamKeepaliveTimeoutMs,
    proxyConnectTimeoutMs: v.proxyConnectTimeoutMs,
    proxyResponseTimeoutMs: v.proxyResponseTimeoutMs,
    proxyIdleTimeoutMs: v.proxyIdleTimeoutMs,
    proxyAttempts: v.proxyAttempts,
    maxFails: v.maxFails,
    failTimeoutMs: v.failTimeoutMs,
    healthPath: v.healthPath,
    healthIntervalMs: v.healthIntervalMs,
    healthRise: v.healthRise,
    healthFall: v.healthFall,
    proxyErrorDetail: v.proxyErrorDetail,
    proxyCa: v.proxyCa,
    healthStatusList: v.healthStatus,
  };
}

/** The files option values of a values record. */
export function filesSettings(v: OptionValues): FilesHandlerModel["settings"] {
  return {
    index: v.index,
    listing: v.listing,
    spa: v.spa,
    dotfiles: v.dotfiles,
    followSymlinks: v.followSymlinks,
    cacheControl: v.cacheControl,
    compress: v.compress,
    compressMinBytes: v.compressMinBytes,
    cacheMaxFileBytes: v.cacheMaxFileBytes,
    cacheMaxBytes: v.cacheMaxBytes,
    revalidateMs: v.revalidateMs,
    writable: v.writable,
    mkdir: v.mkdir,
    fsync: v.fsync,
  };
}

/** Checks the files options that have rules beyond their type. */
export function checkFiles(settings: FilesHandlerModel["settings"], fail: Fail, path: KeyPath): void {
  if (/[\0-\x1f\x7f]/.test(settings.cacheControl))
    fail([...path, "cache_control"], "cache_control: control characters are not allowed in a field value");
  for (const name of settings.index) {
    if (name.includes("/") || name === "." || name === "..")
      fail([...path, "index"], `index: ${JSON.stringify(name)} must be a plain file name`);
  }
}

/** A directory's real path, or a failure naming it. */
export function realDirectory(dir: string, shownAs: string, key: string, fail: Fail, path: KeyPath): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    return fail(path, `${key}: ${shownAs} does not exist or cannot be read`);
  }
  if (!stat.isDirectory()) return fail(path, `${key}: ${shownAs} is not a directory`);
  return fs.realpathSync(dir);
}

/** An app module's absolute path, checked to be a readable file now (each worker imports it later). */
export function appModule(file: string, shownAs: string, key: string, fail: Fail, path: KeyPath): string {
  let isFile: boolean;
  try {
    isFile = fs.statSync(file).isFile();
    if (isFile) fs.accessSync(file, fs.constants.R_OK);
  } catch {
    return fail(path, `${key}: ${shownAs} does not exist or cannot be read`);
  }
  return isFile ? file : fail(path, `${key}: ${shownAs} is not a file`);
}

/**
 * Gathers the sites' listen addresses into listeners (first-named order) and refuses conflicts: two
 * sites claiming one host on a listener, two sites for any host on one, and one port bound both on
 * every address and on a single one.
 */
export function assemble(
  options: OptionValues,
  drafts: readonly SiteDraft[],
  lengthRequiredStatus: 400 | 411,
  file: string,
  fail: Fail,
  tls: TlsModel | null = null,
): ServerModel {
  const listeners: { host: string; port: number; name: string; sites: number[] }[] = [];
  const claims = new Map<string, { site: number; path: KeyPath }>();
  drafts.forEach((draft, index) => {
    for (const address of draft.listen) {
      let listener = listeners.find((l) => l.host === address.host && l.port === address.port);
      if (listener === undefined) {
        const overlap = listeners.find(
          (l) => l.port === address.port && address.port !== 0 && (l.host === "" || address.host === ""),
        );
        if (overlap !== undefined)
          fail(
            [...draft.path, "listen"],
            `listen ${address.name} overlaps ${overlap.name} (one port on every address and on one): name the same address in both sites`,
          );
        listener = { host: address.host, port: address.port, name: address.name, sites: [] };
        listeners.push(listener);
      }
      if (listener.sites.includes(index)) continue;
      listener.sites.push(index);
      const hosts = draft.site.hosts.length === 0 ? ["(any host)"] : draft.site.hosts;
      for (const host of hosts) {
        const key = `${listener.host}|${listener.port}|${host}`;
        const other = claims.get(key);
        if (other !== undefined)
          fail(
            [...draft.path, draft.site.hosts.length === 0 ? "listen" : "hosts"],
            host === "(any host)"
              ? `sites ${drafts[other.site]!.site.name} and ${draft.site.name} both answer any host on ${listener.name}: give one of them hosts`
              : `host ${host} is claimed by two sites on ${listener.name} (${drafts[other.site]!.site.name} and ${draft.site.name})`,
          );
        claims.set(key, { site: index, path: draft.path });
      }
    }
  });
  const model: ServerModel = {
    kind: "http",
    options,
    threads: options.threads || Math.max(1, os.availableParallelism()),
    listeners: listeners as ListenerModel[],
    sites: drafts.map((d) => d.site),
    lengthRequiredStatus,
    file,
    tls,
  };
  return deepFreeze(model);
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
