// The model → what one worker thread serves: per listener a handler (status page and method gate in
// front, then the host router, then each site's routes), and the engine's options. Built once per
// worker at start-up (and on reload); the request path only runs the result.

import { DEFAULT_CHUNKED_LIMITS } from "../http/chunked.ts";
import type { EngineOptions } from "../http/engine-options.ts";
import { FieldEdits } from "../http/field-edits.ts";
import { type Handler, HandlerChain } from "../http/handler.ts";
import { DEFAULT_H2_OPTIONS, type H2Options } from "../h2/options.ts";
import type { LockTable } from "../common/lock-table.ts";
import type {
  HandlerModel,
  ListenerModel,
  ProxyHandlerModel,
  RouteModel,
  ServerModel,
  SiteModel,
} from "../config/model.ts";
import { AccessControl } from "../middleware/access.ts";
import { BasicAuth } from "../middleware/basic-auth.ts";
import { Cors } from "../middleware/cors.ts";
import type { Middleware } from "../middleware/middleware.ts";
import { type BucketTable, newBucketTable, RateLimit } from "../middleware/rate-limit.ts";
import type { CertificateSource } from "../observe/certificate-stats.ts";
import { NO_ROUTE_LABEL, type RouteEntry, RouteSlots, routeLabel } from "../observe/route-stats.ts";
import { UpstreamSlots, upstreamEntries } from "../observe/upstream-stats.ts";
import type { StatsLayout } from "../observe/stats.ts";
import type { CountRows } from "../proxy/balance/active-counts.ts";
import type { SharedVerdicts } from "../proxy/health/active.ts";
import { FilesBuilder } from "./files.ts";
import { RedirectHandler, RespondHandler } from "./fixed-handlers.ts";
import { HostRouter } from "./host-router.ts";
import { MethodGate } from "./method-gate.ts";
import type { ProxyBuilder } from "./proxies.ts";
import { RouteHandler } from "./route-handler.ts";
import { SiteRouter } from "./site-router.ts";

export interface Built {
  /** One handler per listener of the model, in its order. */
  readonly handlers: readonly Handler[];
  readonly engine: EngineOptions;
  /** Closes what the handlers hold beyond requests (upstream pools, health checks). */
  close(): void;
  /** Each upstream's idle keep-alive connections in this worker ("host:port", count; repeats possible). */
  idle(): Iterable<readonly [string, number]>;
  /** The HTTP/2 engine's limits (h2/options.ts). */
  readonly h2: H2Options;
}

/** What a worker shares with the others, handed to the handlers that need it. */
export interface SiteShared {
  readonly locks: LockTable;
  readonly stats: BigInt64Array;
  readonly statsLayout: StatsLayout;
  /** Per-thread rows of per-upstream statistics (observe/upstream-stats.ts). */
  readonly upstreamStats?: { readonly rows: BigInt64Array; readonly slots: BigInt64Array };
  /** Per-thread rows of requests by site and route, and the registry of their slots (observe/route-stats.ts). */
  readonly routeStats?: { readonly rows: BigInt64Array; readonly slots: BigInt64Array };
  /** The certificates the TLS listener serves now (the status page's expiry figures). */
  readonly certificates?: CertificateSource;
  /** False once the server is shutting down (the status path's readiness). */
  /** Why the server is not ready ("" when it is): PREFIX/readyz answers 503 with it. */
  readonly unready?: () => string;
  readonly startedAt: number;
  readonly version: string;
  /** This thread's row of the shared active-request table; proxy groups take slots in order. */
  readonly upstreams?: CountRows;
  /** Active health verdicts shared by the threads (slots in the same order as the counts). */
  readonly verdicts?: SharedVerdicts;
  /** Rate-limit buckets shared by the threads; without it each route counts alone. */
  readonly rateBuckets?: BucketTable;
  /**
   * The app handlers of the model's routes by module path, made by the worker (runtime/app-modules.ts)
   * before it builds: the app code, and the fetch classes it brings (2.3 MiB of heap a thread), load
   * only when a route names an app.
   */
  readonly apps?: ReadonlyMap<string, Handler>;
  /** The handler modules the model needs beyond files (`loadHandlerModules`), loaded before the build. */
  readonly modules?: HandlerModules;
}

/**
 * Modules a worker loads only when its model uses them: the reverse proxy (with its balancing, health
 * checks and upstream connections) and the status pages (dashboard, JSON, Prometheus). A thread that
 * serves files alone never compiles or keeps their code (about 90 KiB of the worker's 310 KiB of
 * JavaScript, ~0.6 MiB of resident memory), as with TLS, HTTP/2 and apps.
 */
export interface HandlerModules {
  readonly proxies?: typeof import("./proxies.ts");
  readonly admin?: typeof import("../observe/admin.ts");
}

/** Loads the modules of `HandlerModules` that `model` uses (cached by the module loader after the first). */
export async function loadHandlerModules(model: ServerModel): Promise<HandlerModules> {
  const [proxies, admin] = await Promise.all([
    proxyHandlersOf(model).length > 0 ? import("./proxies.ts") : undefined,
    model.options.statusPath !== "" ? import("../observe/admin.ts") : undefined,
  ]);
  return { ...(proxies !== undefined ? { proxies } : {}), ...(admin !== undefined ? { admin } : {}) };
}

/** The HTTP/2 engine's limits; the header list limit is HTTP/1.1's header section limit. */
export function h2Options(model: ServerModel): H2Options {
  const o = model.options;
  return {
    ...DEFAULT_H2_OPTIONS,
    maxConcurrentStreams: o.h2MaxStreams,
    maxHeaderListBytes: o.maxHeaderBytes,
    maxHeaderFrames: o.h2MaxHeaderFrames,
  };
}

export function engineOptions(model: ServerModel): EngineOptions {
  const o = model.options;
  return {
    limits: {
      maxRequestLineBytes: o.maxRequestLineBytes,
      maxHeaderBytes: o.maxHeaderBytes,
      maxHeaderCount: o.maxHeaderCount,
      requireHost: o.requireHost,
      acceptHttp10: o.http10,
    },
    chunkedLimits: { ...DEFAULT_CHUNKED_LIMITS, maxTrailerBytes: o.maxHeaderBytes },
    maxBodyBytes: o.maxBodyBytes,
    headersTimeoutMs: o.headersTimeoutMs,
    bodyTimeoutMs: o.bodyTimeoutMs,
    keepAliveTimeoutMs: o.keepAliveTimeoutMs,
    sendTimeoutMs: o.sendTimeoutMs,
    lingerMs: 2000,
    discardBodyBytes: 64 * 1024,
    maxRequestsPerConnection: o.maxRequestsPerConnection,
    errorDetail: o.errorDetail,
  };
}

export function buildWorker(model: ServerModel, shared: SiteShared): Built {
  const files = new FilesBuilder(shared.locks, model.lengthRequiredStatus, model.options.bodyTimeoutMs);
  const modules = shared.modules ?? {};
  const proxies =
    modules.proxies !== undefined ? new modules.proxies.ProxyBuilder(shared.upstreams, shared.verdicts) : null;
  const table = shared.rateBuckets ?? newBucketTable(1024);
  const appHandler = (module: string): Handler => {
    const made = shared.apps?.get(module);
    if (made === undefined) throw new Error(`the app ${module} was not loaded before the build`);
    return made;
  };
  const slots = shared.routeStats !== undefined ? new RouteSlots(shared.routeStats.slots) : null;
  const routeEntries: RouteEntry[] = [];
  const builders = { files, proxies, table, appHandler, slots, routeEntries };
  const sites = model.sites.map((site) => siteHandler(site, model, builders));
  const front: Handler[] = [];
  const o = model.options;
  if (o.statusPath !== "") {
    if (modules.admin === undefined) throw new Error("the status pages were not loaded before the build");
    front.push(
      new modules.admin.AdminHandler({
        path: o.statusPath,
        stats: shared.stats,
        layout: shared.statsLayout,
        threads: model.threads,
        startedAt: shared.startedAt,
        version: shared.version,
        allow: o.statusAllow,
        ...(shared.unready !== undefined ? { unready: shared.unready } : {}),
        ...(shared.upstreamStats !== undefined
          ? {
              upstreamStats: shared.upstreamStats.rows,
              upstreams: upstreamEntries(proxyHandlersOf(model), new UpstreamSlots(shared.upstreamStats.slots)),
            }
          : {}),
        ...(shared.routeStats !== undefined ? { routeStats: shared.routeStats.rows, routes: routeEntries } : {}),
        ...(shared.certificates !== undefined ? { certificates: shared.certificates } : {}),
      }),
    );
  }
  if (o.methods.length > 0) front.push(new MethodGate(o.methods));
  const handlers = model.listeners.map((listener) => {
    const routed = listenerHandler(listener, model, sites);
    // A chain of one is that one handler: every request would otherwise pass through an extra call.
    return front.length === 0 ? routed : new HandlerChain([...front, routed]);
  });
  return {
    handlers,
    engine: engineOptions(model),
    h2: h2Options(model),
    close: () => proxies?.close(),
    idle: () => proxies?.idle() ?? [],
  };
}

/** Every proxy route's handler, in the model's order (the status page's upstream table and figures). */
export function proxyHandlersOf(model: ServerModel): ProxyHandlerModel[] {
  const out: ProxyHandlerModel[] = [];
  for (const site of model.sites) for (const r of site.routes) if (r.handler.kind === "proxy") out.push(r.handler);
  return out;
}

function listenerHandler(listener: ListenerModel, model: ServerModel, sites: readonly Handler[]): Handler {
  const first = sites[listener.sites[0]!]!;
  if (listener.sites.length === 1) return first;
  const hosts = new Map<string, Handler>();
  for (const index of listener.sites) for (const host of model.sites[index]!.hosts) hosts.set(host, sites[index]!);
  return new HostRouter(hosts, first);
}

/** What handlers are made with, once per worker configuration. */
interface Builders {
  readonly files: FilesBuilder;
  /** Null when the model proxies nothing (its module is then not loaded). */
  readonly proxies: ProxyBuilder | null;
  readonly table: BucketTable;
  /** One AppHandler per module, shared by the routes that name it. */
  readonly appHandler: (module: string) => Handler;
  /** The statistics slots of sites and routes (null: not counted), and the list the status page shows. */
  readonly slots: RouteSlots | null;
  readonly routeEntries: RouteEntry[];
}

function siteHandler(site: SiteModel, model: ServerModel, builders: Builders): Handler {
  // One limiter per declaration: routes that inherit the site's rate_limit share its buckets.
  const limiters = new Map<number, RateLimit>();
  const slotOf = (label: string, rateLimited: boolean): number => {
    const slots = builders.slots;
    if (slots === null) return 0;
    const slot = slots.slotOf(site.name, label);
    builders.routeEntries.push({ site: site.name, route: label, slot, rateLimited });
    return slot;
  };
  const routes = site.routes.map((route) => ({
    path: route.path,
    exact: route.exact,
    handler: routeHandler(route, model, builders, limiters),
    slot: slotOf(routeLabel(route), route.middleware.rateLimit !== null),
  }));
  return new SiteRouter(routes, slotOf(NO_ROUTE_LABEL, false));
}

function routeHandler(
  route: RouteModel,
  model: ServerModel,
  builders: Builders,
  limiters: Map<number, RateLimit>,
): Handler {
  const m = route.middleware;
  const headers = m.headers;
  let edits = headers === null ? null : new FieldEdits(headers.set, headers.add, headers.remove);
  const middleware: Middleware[] = [];
  if (m.rateLimit !== null) {
    let limiter = limiters.get(m.rateLimit.zone);
    if (limiter === undefined) {
      limiter = new RateLimit({ ...m.rateLimit, table: builders.table });
      limiters.set(m.rateLimit.zone, limiter);
    }
    middleware.push(limiter);
  }
  if (m.access !== null) middleware.push(new AccessControl(m.access));
  if (m.cors !== null) {
    const cors = new Cors(m.cors, edits);
    edits = cors.plain;
    middleware.push(cors);
  }
  if (m.basicAuth !== null) middleware.push(new BasicAuth(m.basicAuth));
  const handler = handlerOf(route, route.handler, builders);
  const o = model.options;
  if (
    edits === null &&
    middleware.length === 0 &&
    route.maxBodyBytes >= o.maxBodyBytes &&
    route.bodyTimeoutMs >= o.bodyTimeoutMs
  )
    return handler;
  return new RouteHandler({
    edits,
    middleware,
    handler,
    maxBodyBytes: route.maxBodyBytes < o.maxBodyBytes ? route.maxBodyBytes : -1,
    bodyTimeoutMs: route.bodyTimeoutMs < o.bodyTimeoutMs ? route.bodyTimeoutMs : -1,
  });
}

function handlerOf(route: RouteModel, model: HandlerModel, builders: Builders): Handler {
  const files = builders.files;
  switch (model.kind) {
    case "files":
      return files.handler(model, false);
    case "proxy": {
      if (builders.proxies === null) throw new Error("the proxy was not loaded before the build");
      const proxy = builders.proxies.handler(route.path, model);
      if (model.tryFiles === null) return proxy;
      return new HandlerChain([files.handler(model.tryFiles, true), proxy]);
    }
    case "app": {
      const app = builders.appHandler(model.module);
      if (model.tryFiles === null) return app;
      return new HandlerChain([files.handler(model.tryFiles, true), app]);
    }
    case "redirect":
      return new RedirectHandler(route.path, model.to, model.status, route.exact);
    case "respond":
      return new RespondHandler(model.status, model.body, model.contentType);
  }
}
