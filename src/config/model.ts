// The configuration model every other part of Portico codes against: server-wide settings, the
// listeners, and sites → routes → one handler (files | proxy | app | redirect | respond) with their
// middleware. Built and validated from a file or from flags (model-*.ts), frozen, and handed to the
// workers as it is (structured clone): nothing downstream parses text or knows where a value came from.

import type { OptionValues } from "./options.ts";
import type { BalanceName, UpstreamSpec } from "./proxy-options.ts";

export type { BalanceName, UpstreamSpec };

/** The option values a route's `files = {...}` takes (flags: --index, --spa, --writable…). */
export type FilesSettings = Pick<
  OptionValues,
  | "index"
  | "listing"
  | "spa"
  | "dotfiles"
  | "followSymlinks"
  | "cacheControl"
  | "compress"
  | "compressMinBytes"
  | "cacheMaxFileBytes"
  | "cacheMaxBytes"
  | "revalidateMs"
  | "writable"
  | "mkdir"
  | "fsync"
>;

/** The option values a route's `proxy = {...}` takes besides its upstreams (--lb, --max-fails…). */
export type ProxySettings = Pick<
  OptionValues,
  | "lb"
  | "hashKey"
  | "proxyHost"
  | "proxyTlsVerify"
  | "upstreamKeepalive"
  | "upstreamKeepaliveTimeoutMs"
  | "proxyConnectTimeoutMs"
  | "proxyResponseTimeoutMs"
  | "proxyIdleTimeoutMs"
  | "proxyAttempts"
  | "maxFails"
  | "failTimeoutMs"
  | "healthPath"
  | "healthIntervalMs"
  | "healthRise"
  | "healthFall"
  | "proxyErrorDetail"
>;

export interface ServerModel {
  readonly kind: "http";
  /**
   * Every option's value at server level: the top-level keys and [log] of a file, and flags. Server-wide
   * settings (limits, timeouts, log, status page, protocol knobs, and options other branches add) are
   * read from here; the files/proxy values here are only the defaults routes started from.
   */
  readonly options: OptionValues;
  /** Worker threads (0 in the options resolved to the machine's parallelism). */
  readonly threads: number;
  readonly listeners: readonly ListenerModel[];
  readonly sites: readonly SiteModel[];
  /** 400 or 411 for a PUT without a body length (the httpserver preset wants 400). */
  readonly lengthRequiredStatus: 400 | 411;
  /** The configuration file (absolute path) the model was read from, or "" for flags alone. */
  readonly file: string;
  /** HTTPS: the command line's (--cert/--key, --acme, --tls internal) or the file's sites' `tls`; null for none. */
  readonly tls: TlsModel | null;
}

/**
 * How the HTTPS listeners speak TLS: certificate files, certificates from an ACME CA, or from the local
 * CA, all in one store whose certificate each handshake's SNI name picks (runtime/tls-supervisor.ts
 * reads the files and keeps the certificates; src/tls/ serves them). The command line has one HTTPS
 * listener; a file has those of its sites that say `tls`.
 */
export interface TlsModel {
  /** Indexes into ServerModel.listeners of the listeners that speak TLS (the first takes --http-port's redirects). */
  readonly listeners: readonly number[];
  /** Those listeners' addresses ("" for every one): named in the local CA's certificate. */
  readonly listenHosts: readonly string[];
  /**
   * Certificate and key files, in the order given (the first is served when SNI matches nothing);
   * `where` names a file's pair in messages ("portico.toml:12"), "" for the command line's.
   */
  readonly certFiles: readonly { readonly cert: string; readonly key: string; readonly where: string }[];
  /** Plain HTTP listener that redirects to HTTPS and answers ACME HTTP-01; -1 for none. */
  readonly httpPort: number;
  /** Get certificates from an ACME CA. */
  readonly acme: boolean;
  /** The host names ACME certifies (empty without ACME). */
  readonly domains: readonly string[];
  readonly acmeCa: string;
  readonly acmeEmail: string;
  /** Extra roots (PEM text) trusted for the ACME CA's HTTPS; "" for Node's bundled roots alone. */
  readonly acmeCaRoot: string;
  /** Certificates from the local CA. */
  readonly tlsInternal: boolean;
  /** The host names the local CA's certificate names besides localhost and the listening addresses. */
  readonly internalNames: readonly string[];
  /** Where ACME accounts, certificates and the local CA live. */
  readonly dataDir: string;
}

/** One address:port that workers listen on, and the sites it serves. */
export interface ListenerModel {
  /** "" for every address. */
  readonly host: string;
  readonly port: number;
  /** As written ("127.0.0.1:8080", "8080"): named in messages about this listener. */
  readonly name: string;
  /** Indexes into ServerModel.sites; the first answers hosts no site names. */
  readonly sites: readonly number[];
}

export interface SiteModel {
  /** How messages name the site: its first host, or `site #N`. */
  readonly name: string;
  /** Lower-case exact names, or "*.example.com" wildcards; empty: any host. */
  readonly hosts: readonly string[];
  /** Real path of the site's root, or null when it has none (no route may then serve files). */
  readonly root: string | null;
  /**
   * In the order written; the router matches the longest path. A site with a root whose routes leave
   * "/" unclaimed ends with a files route under "/" (its files answer what no route matches).
   */
  readonly routes: readonly RouteModel[];
}

export interface RouteModel {
  /** "/api/" (prefix) or "/healthz" (exact when `exact`); decoded, as written minus the "=". */
  readonly path: string;
  readonly exact: boolean;
  readonly handler: HandlerModel;
  readonly middleware: MiddlewareModel;
  /** The route's body limit (never above the server's). */
  readonly maxBodyBytes: number;
  /** The route's longest pause while a body arrives (never above the server's). */
  readonly bodyTimeoutMs: number;
}

export type HandlerModel =
  | FilesHandlerModel
  | ProxyHandlerModel
  | AppHandlerModel
  | RedirectHandlerModel
  | RespondHandlerModel;

export interface FilesHandlerModel {
  readonly kind: "files";
  /** Real path of the directory served. */
  readonly root: string;
  readonly settings: FilesSettings;
}

export interface ProxyHandlerModel {
  readonly kind: "proxy";
  readonly upstreams: readonly UpstreamSpec[];
  /** The upstream URLs' common path replacing the route's path, or null to forward the path as received. */
  readonly basePath: string | null;
  readonly settings: ProxySettings;
  /** Extra CA certificates (PEM text, not the file name) for https:// upstreams; "" for none. */
  readonly ca: string;
  /** Accepted health-check statuses: a code (204) or a class digit (2 for 2xx). */
  readonly healthStatus: readonly number[];
  /** Serve the site's files first and proxy what they lack (nginx try_files $uri @upstream). */
  readonly tryFiles: FilesHandlerModel | null;
}

/** A fetch-style application module (src/app/), imported by every worker thread. */
export interface AppHandlerModel {
  readonly kind: "app";
  /** Absolute path of the module; it sees the whole request path (the route's prefix is not removed). */
  readonly module: string;
  /** Serve the site's files first and hand the app what they lack (--app beside --root). */
  readonly tryFiles: FilesHandlerModel | null;
}

export interface RedirectHandlerModel {
  readonly kind: "redirect";
  /** Replaces the matched path; the rest of the path and the query are kept. */
  readonly to: string;
  readonly status: 301 | 302 | 303 | 307 | 308;
}

export interface RespondHandlerModel {
  readonly kind: "respond";
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

/** Middleware of a route, the site's merged in (null: absent). */
export interface MiddlewareModel {
  readonly headers: HeaderRules | null;
  readonly basicAuth: BasicAuthModel | null;
  readonly access: AccessModel | null;
  readonly rateLimit: RateLimitModel | null;
  readonly cors: CorsModel | null;
}

/** Response field edits: `set` replaces, `add` appends, `remove` drops (names compared case-insensitively). */
export interface HeaderRules {
  readonly set: readonly (readonly [string, string])[];
  readonly add: readonly (readonly [string, string])[];
  readonly remove: readonly string[];
}

export interface BasicAuthModel {
  readonly realm: string;
  /** The htpasswd file's bcrypt entries, read at configuration time. */
  readonly users: readonly { readonly name: string; readonly hash: string }[];
}

/** allow/deny lists as CIDRs ("10.0.0.0/8", "::1/128"); with `allow` others are refused, with `deny` those. */
export interface AccessModel {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

export interface RateLimitModel {
  /** Tokens added per second. */
  readonly perSecond: number;
  /** Requests allowed at once beyond the steady rate (nginx limit_req burst=N nodelay). */
  readonly burst: number;
  /** "ip", "header:NAME" or "cookie:NAME". */
  readonly key: string;
  /** Distinguishes this limit's buckets from other routes' in the shared table. */
  readonly zone: number;
}

export interface CorsModel {
  /** Exact origins ("https://app.test"), or "*" for any. */
  readonly origins: readonly string[];
  readonly methods: readonly string[];
  /** Request headers allowed in preflight; empty: those the preflight asks for. */
  readonly headers: readonly string[];
  readonly expose: readonly string[];
  readonly credentials: boolean;
  readonly maxAgeSeconds: number;
}
