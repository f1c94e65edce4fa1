// A configuration file (already parsed and checked against the schema, file.ts) → the model: units
// converted, relative paths resolved against the file's directory, htpasswd files read, handlers and
// middleware built, conflicts refused. Flags given beside the file override its values: server and
// [log] keys at the top, file and proxy options in every route that has such a handler.

import path from "node:path";
import { ConfigError } from "./errors.ts";
import type { ConfigFile } from "./file.ts";
import type { KeyPath } from "./locate.ts";
import type { FilesHandlerModel, HandlerModel, MiddlewareModel, RouteModel, ServerModel, SiteModel } from "./model.ts";
import {
  appModule,
  assemble,
  buildProxy,
  checkFiles,
  checkHost,
  deepFreeze,
  type Fail,
  filesSettings,
  type ListenAddress,
  mergeHeaders,
  parseAccess,
  parseCors,
  parseHeaders,
  parseListen,
  parseRateLimit,
  parseRoutePath,
  proxySettings,
  readHtpasswd,
  realDirectory,
  type SiteDraft,
} from "./model-parts.ts";
import {
  fileKeyOf,
  type OptionSection,
  type OptionSpec,
  type OptionValues,
  optionByKey,
  optionsIn,
} from "./options.ts";
import { tlsFromSites } from "./model-tls.ts";
import { HANDLER_KEYS, type MiddlewareData, type RouteData, type SiteData } from "./schema.ts";
import { checkStatusAllow, normalizeStatusPath } from "./server-options.ts";
import { convertValue } from "./units.ts";

/** Listen address of a site that names none. */
export const DEFAULT_LISTEN = "8080";

export function modelFromFile(
  file: ConfigFile,
  base: OptionValues,
  flags: ReadonlyMap<string, unknown>,
  lengthRequiredStatus: 400 | 411,
): ServerModel {
  const fail: Fail = (at, message) => {
    throw ConfigError.at(file.name, file.lines.lineOf(at), message);
  };
  const data = file.data as Record<string, unknown>;
  const values: Record<string, unknown> = { ...base };
  layOver(values, data, optionsIn("server"), [], fail);
  layOver(values, (data.log ?? {}) as Record<string, unknown>, optionsIn("log"), ["log"], fail);
  layOver(values, (data.acme ?? {}) as Record<string, unknown>, optionsIn("acme"), ["acme"], fail);
  for (const spec of [...optionsIn("server"), ...optionsIn("log"), ...optionsIn("acme")])
    if (flags.has(spec.key)) values[spec.key] = flags.get(spec.key);
  // Relative paths are relative to the file, wherever Portico was started.
  if (values.accessLog !== "" && !flags.has("accessLog"))
    values.accessLog = path.resolve(file.dir, values.accessLog as string);
  values.statusPath = normalizeStatusPath(values.statusPath as string, (m) => fail(["status_path"], m));
  checkStatusAllow(values.statusAllow as string[], (m) => fail(["status_allow"], m));
  const server = values as unknown as OptionValues;

  const builder = new SiteBuilder(file, server, flags, fail);
  const sites = (file.data.site ?? []) as SiteData[];
  if (sites.length === 0) fail([], "the file names no site: add a [[site]] table");
  const drafts = sites.map((site, i) => builder.site(site, ["site", i]));
  const model = assemble(server, drafts, lengthRequiredStatus, file.path, fail);
  const tlsSites = drafts.map((d, i) => ({ tls: sites[i]!.tls, hosts: d.site.hosts, name: d.site.name, path: d.path }));
  const where = (at: KeyPath): string => `${file.name}:${file.lines.lineOf(at)}`;
  const tls = tlsFromSites(tlsSites, model.listeners, server, flags, file.dir, fail, where);
  return tls === null ? model : deepFreeze({ ...model, tls });
}

/** Converts a table's option keys onto `values` (units, bounds), failing at the key. */
function layOver(
  values: Record<string, unknown>,
  table: Readonly<Record<string, unknown>>,
  specs: readonly OptionSpec[],
  at: KeyPath,
  fail: Fail,
): void {
  for (const spec of specs) {
    const key = fileKeyOf(spec);
    if (!(key in table)) continue;
    const converted = convertValue(spec, table[key]);
    if (!converted.ok) fail([...at, key], `${key} ${converted.problem}`);
    values[spec.key] = converted.value;
  }
}

class SiteBuilder {
  readonly #file: ConfigFile;
  readonly #server: OptionValues;
  readonly #flags: ReadonlyMap<string, unknown>;
  readonly #fail: Fail;
  #zones = 0;

  constructor(file: ConfigFile, server: OptionValues, flags: ReadonlyMap<string, unknown>, fail: Fail) {
    this.#file = file;
    this.#server = server;
    this.#flags = flags;
    this.#fail = fail;
  }

  site(data: SiteData, at: KeyPath): SiteDraft {
    const fail = this.#fail;
    const hosts = (data.hosts ?? []).map((h, i) => checkHost(h, fail, [...at, "hosts", i]));
    const listenList =
      data.listen === undefined ? [DEFAULT_LISTEN] : typeof data.listen === "string" ? [data.listen] : data.listen;
    if (listenList.length === 0) fail([...at, "listen"], "listen must name at least one address");
    const listen: ListenAddress[] = listenList.map((l, i) =>
      parseListen(l, fail, typeof data.listen === "object" ? [...at, "listen", i] : [...at, "listen"]),
    );
    const name = hosts[0] ?? `site #${(at[1] as number) + 1}`;
    const root =
      data.root === undefined ? null : realDirectory(this.#path(data.root), data.root, "root", fail, [...at, "root"]);
    const siteMiddleware = this.#middleware(data, at, name);
    const routesData = data.route ?? [];
    if (routesData.length === 0 && root === null) fail(at, `site ${name} has neither a root nor routes`);
    const routes: RouteModel[] =
      routesData.length === 0
        ? [this.#route({ path: "/" }, [...at, "route", 0], root, siteMiddleware, name, at)]
        : routesData.map((r, i) => this.#route(r, [...at, "route", i], root, siteMiddleware, name, at));
    const seen = new Map<string, number>();
    routes.forEach((r, i) => {
      const key = `${r.exact ? "=" : ""}${r.path}`;
      if (seen.has(key)) fail([...at, "route", i, "path"], `route path ${key} is given twice in site ${name}`);
      seen.set(key, i);
    });
    // A path no route matches is served from the site's root, as nginx's implicit location and
    // Caddy's site-level file_server do: the files route under "/" goes last, so the written routes
    // keep their indexes. A site without a root leaves such paths to the 404.
    if (root !== null && !seen.has("/")) routes.push(this.#route({ path: "/" }, at, root, siteMiddleware, name, at));
    const site: SiteModel = { name, hosts, root, routes };
    return { site, listen, path: at };
  }

  #path(p: string): string {
    return path.resolve(this.#file.dir, p);
  }

  #route(
    data: RouteData,
    at: KeyPath,
    root: string | null,
    site: MiddlewareModel,
    siteName: string,
    siteAt: KeyPath,
  ): RouteModel {
    const fail = this.#fail;
    const { path: routePath, exact } = parseRoutePath(data.path, fail, [...at, "path"]);
    const named = HANDLER_KEYS.filter((k) => data[k] !== undefined);
    if (named.length > 1)
      fail([...at, named[1]!], `route ${data.path} names two handlers (${named.join(" and ")}); a route has one`);
    const own = this.#middleware(data, at, siteName);
    let headers = mergeHeaders(site.headers, own.headers);
    const kind = named[0] ?? "files";
    const needRoot = (): string =>
      root ??
      fail(
        at,
        `route ${data.path} serves files, but site ${siteName} has no root (set root in the [[site]] at line ${this.#file.lines.lineOf(siteAt)})`,
      );
    let handler: HandlerModel;
    if (kind === "files") {
      const table = typeof data.files === "object" ? data.files : {};
      const files = this.#files(table, [...at, "files"], needRoot());
      const settings = { ...files.settings };
      if (data.cache_control !== undefined) settings.cacheControl = data.cache_control;
      if (data.compress !== undefined) settings.compress = data.compress;
      checkFiles(settings, fail, at);
      handler = { ...files, settings };
    } else {
      if (data.compress !== undefined)
        fail([...at, "compress"], `compress applies to routes that serve files, not to ${kind}`);
      if (data.cache_control !== undefined) {
        if (/[\0-\x1f\x7f]/.test(data.cache_control))
          fail([...at, "cache_control"], "cache_control: control characters are not allowed");
        headers = mergeHeaders(headers, { set: [["Cache-Control", data.cache_control]], add: [], remove: [] });
      }
      handler = this.#handler(kind, data, at, needRoot, root);
    }
    const max = this.#limit(data.max_body, "maxBodyBytes", "max_body", at);
    const bodyTimeout = this.#limit(data.body_timeout, "bodyTimeoutMs", "body_timeout", at);
    return {
      path: routePath,
      exact,
      handler,
      middleware: {
        headers,
        basicAuth: own.basicAuth ?? site.basicAuth,
        access: own.access ?? site.access,
        rateLimit: own.rateLimit ?? site.rateLimit,
        cors: own.cors ?? site.cors,
      },
      maxBodyBytes: max,
      bodyTimeoutMs: bodyTimeout,
    };
  }

  #handler(
    kind: (typeof HANDLER_KEYS)[number],
    data: RouteData,
    at: KeyPath,
    needRoot: () => string,
    root: string | null,
  ): HandlerModel {
    const fail = this.#fail;
    if (kind === "redirect") {
      const r = data.redirect!;
      if (/[\s\0-\x1f\x7f]/.test(r.to) || !(r.to.startsWith("/") || /^https?:\/\/[^/\s]+/.test(r.to)))
        fail([...at, "redirect", "to"], `to must be a path or an http(s):// URL, got ${JSON.stringify(r.to)}`);
      return { kind: "redirect", to: r.to, status: r.status ?? 302 };
    }
    if (kind === "app") {
      const a = typeof data.app === "string" ? { module: data.app } : data.app!;
      const where: KeyPath = typeof data.app === "string" ? [...at, "app"] : [...at, "app", "module"];
      const module = appModule(this.#path(a.module), a.module, "app", fail, where);
      const tryFiles = a.try_files === true ? this.#files({}, [...at, "app", "try_files"], needRoot(), false) : null;
      return { kind: "app", module, tryFiles };
    }
    if (kind === "respond") {
      const r = data.respond!;
      const contentType = r.content_type ?? "text/plain; charset=utf-8";
      if (/[\0-\x1f\x7f]/.test(contentType))
        fail([...at, "respond", "content_type"], "content_type holds a control character");
      return { kind: "respond", status: r.status ?? 200, body: r.body ?? "", contentType };
    }
    const p = data.proxy! as Record<string, unknown> & { upstreams: string | string[]; try_files?: boolean };
    const values: Record<string, unknown> = { ...this.#server };
    layOver(values, p, optionsIn("proxy"), [...at, "proxy"], fail);
    this.#override(values, "proxy");
    const settings = proxySettings(values as unknown as OptionValues);
    if (settings.proxyCa !== "") settings.proxyCa = this.#path(settings.proxyCa);
    const tryFiles: FilesHandlerModel | null =
      p.try_files === true ? this.#files({}, [...at, "proxy", "try_files"], root ?? needRoot(), false) : null;
    const urls = typeof p.upstreams === "string" ? [p.upstreams] : p.upstreams;
    return buildProxy(urls, settings, "hash_key" in p || this.#flags.has("hashKey"), tryFiles, fail, [...at, "proxy"]);
  }

  #files(table: Readonly<Record<string, unknown>>, at: KeyPath, root: string, writable = true): FilesHandlerModel {
    const values: Record<string, unknown> = { ...this.#server };
    layOver(values, table, optionsIn("files"), at, this.#fail);
    this.#override(values, "files");
    // Files in front of a proxy never take writes: the upstream owns those paths (a PUT is proxied).
    if (!writable) values.writable = false;
    return { kind: "files", root, settings: filesSettings(values as unknown as OptionValues) };
  }

  /** Flags of a handler's section override the file's values in every such handler. */
  #override(values: Record<string, unknown>, section: OptionSection): void {
    for (const spec of optionsIn(section)) if (this.#flags.has(spec.key)) values[spec.key] = this.#flags.get(spec.key);
  }

  #limit(raw: unknown, key: "maxBodyBytes" | "bodyTimeoutMs", fileKey: string, at: KeyPath): number {
    const server = this.#server[key];
    if (raw === undefined) return server;
    const converted = convertValue(optionByKey(key)!, raw);
    if (!converted.ok) return this.#fail([...at, fileKey], `${fileKey} ${converted.problem}`);
    const value = converted.value as number;
    if (value > server)
      this.#fail(
        [...at, fileKey],
        `${fileKey} ${JSON.stringify(raw)} is above the server's (${server}${key === "maxBodyBytes" ? " bytes" : "ms"}): a route may only tighten it`,
      );
    return value;
  }

  #middleware(data: MiddlewareData, at: KeyPath, siteName: string): MiddlewareModel {
    const fail = this.#fail;
    const auth = data.basic_auth;
    const rate = data.rate_limit;
    const cors = data.cors;
    let corsMaxAge = 600_000;
    if (cors?.max_age !== undefined) {
      const c = convertValue(optionByKey("bodyTimeoutMs")!, cors.max_age);
      if (!c.ok) return fail([...at, "cors", "max_age"], `max_age ${c.problem}`);
      corsMaxAge = c.value as number;
    }
    return {
      headers: data.headers === undefined ? null : parseHeaders(data.headers, fail, [...at, "headers"]),
      basicAuth:
        auth === undefined
          ? null
          : readHtpasswd(this.#path(auth.htpasswd), auth.htpasswd, auth.realm ?? siteName, fail, [
              ...at,
              "basic_auth",
              "htpasswd",
            ]),
      access: parseAccess(data.allow, data.deny, fail, at),
      rateLimit: rate === undefined ? null : parseRateLimit(rate, this.#zones++, fail, [...at, "rate_limit"]),
      cors: cors === undefined ? null : parseCors(cors, corsMaxAge, fail, [...at, "cors"]),
    };
  }
}
