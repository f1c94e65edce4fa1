// Every option Portico understands, with its flag, type, default and help text: the one place where
// defaults live. Flags, configuration-file keys (the flag's name with "_" for "-", in the section its
// group maps to), the file's schema, --help and the README's tables are all generated from this table.

/** "multi": a repeatable flag; each occurrence adds one string (a config file gives an array). */
export type OptionType = "int" | "size" | "duration" | "string" | "bool" | "list" | "choice" | "multi";

/** The usage headings; each decides where the option's key lives in a configuration file. */
export type OptionGroup =
  | "Server"
  | "Files"
  | "Writes"
  | "HTTPS"
  | "Logging"
  | "Protocol"
  | "Limits"
  | "Proxy"
  | TcpGroup;
type TcpGroup = "TCP proxy (portico tcp ...)";

/**
 * Where an option's key lives in a configuration file: "server" at the top level, "log" in [log],
 * "acme" in [acme], "files" in a route's `files = {...}`, "proxy" in a route's `proxy = {...}`; "cli" options are
 * command-line only (what they set has its own place in the file: a site's root, listen or routes).
 */
export type OptionSection = "server" | "log" | "acme" | "files" | "proxy" | "cli";

export interface OptionSpec {
  /** Key in the option values (camelCase). */
  readonly key: string;
  /** Long flag without the dashes. */
  readonly flag: string;
  readonly short?: string;
  readonly type: OptionType;
  readonly default: unknown;
  readonly help: string;
  /** For "choice". */
  readonly choices?: readonly string[];
  /** Smallest allowed value for numbers (after unit conversion). */
  readonly min?: number;
  readonly max?: number;
  /** Shown as the value's name in usage. */
  readonly meta?: string;
  /** Group heading in usage; it also picks the file section unless `section` says otherwise. */
  readonly group: OptionGroup;
  /** The file section when it is not the group's (see SECTION_OF_GROUP). */
  readonly section?: OptionSection;
  /** The key in the file when it is not the flag with "_" for "-" (the [log] table's short names). */
  readonly fileKey?: string;
  /** The README's longer description (markdown), when `help` (for --help) says too little. */
  readonly doc?: string;
}

/** The file section of each usage group: a new option lands in the file where its group says. */
export const SECTION_OF_GROUP: Readonly<Record<OptionGroup, OptionSection>> = {
  Server: "server",
  Files: "files",
  Writes: "files",
  // The command line's site's certificates; a file's sites say theirs with `tls` (the ACME CA's
  // settings, the data directory and the redirecting port have their own keys: see each option).
  HTTPS: "cli",
  Logging: "log",
  Protocol: "server",
  Limits: "server",
  Proxy: "proxy",
  "TCP proxy (portico tcp ...)": "cli",
};

export const OPTIONS = [
  // Server
  {
    group: "Server",
    key: "root",
    section: "cli",
    flag: "root",
    type: "string",
    default: ".",
    meta: "DIR",
    help: "directory to serve (default: the current directory)",
    doc: "The directory served. Its real path is the jail: nothing outside it is ever served.",
  },
  {
    group: "Server",
    key: "host",
    section: "cli",
    flag: "host",
    type: "string",
    default: "",
    meta: "ADDR",
    help: "address to listen on (default: all interfaces)",
    doc: "Address to listen on (every address by default).",
  },
  {
    group: "Server",
    key: "port",
    section: "cli",
    flag: "port",
    short: "p",
    type: "int",
    default: -1,
    min: 0,
    max: 65535,
    meta: "PORT",
    help: "port to listen on, as the positional argument (default 8080)",
    doc: "Port to listen on, as the positional argument (8080 by default; a file's sites name theirs with `listen`).",
  },
  {
    group: "Server",
    key: "threads",
    flag: "threads",
    short: "t",
    type: "int",
    default: 0,
    min: 1,
    max: 256,
    meta: "N",
    help: "worker threads (default: available parallelism)",
    doc: "Worker threads; the kernel spreads connections across them (`SO_REUSEPORT`).",
  },
  {
    group: "Server",
    key: "config",
    section: "cli",
    flag: "config",
    short: "c",
    type: "string",
    default: "",
    meta: "FILE",
    help: "run the sites of this TOML (or JSON) file; flags override its top-level keys",
    doc: "Run the sites of a TOML (or JSON) file (see [Configuration](#configuration)); flags override its server-wide and `[log]` keys and the file and proxy options of its routes.",
  },
  {
    group: "Server",
    key: "watch",
    section: "cli",
    flag: "watch",
    type: "bool",
    default: false,
    help: "with --config: reload when the file changes (as SIGHUP does)",
    doc: "With `-c`: reload when the file changes, as SIGHUP does.",
  },
  {
    group: "Server",
    key: "app",
    section: "cli",
    flag: "app",
    type: "string",
    default: "",
    meta: "FILE",
    help: "serve a fetch-style app: FILE's default export has fetch(request, info) (TypeScript or JavaScript)",
    doc: "Serve a fetch-style application module (see [Apps](#apps-fetch-handlers-on-porticos-threads)): it answers what the files (with `--root`) and `--proxy` prefixes leave.",
  },
  {
    group: "Server",
    key: "quiet",
    section: "log",
    flag: "quiet",
    short: "q",
    type: "bool",
    default: false,
    help: "no per-request log",
  },
  {
    group: "Server",
    key: "vhosts",
    section: "cli",
    flag: "vhosts",
    type: "bool",
    default: false,
    help: "serve ROOT/HOST/ for requests to HOST when that directory exists (virtual hosts)",
    doc: "Each subdirectory of the root named like a host (`example.com`, `localhost`) is a site for that host (see [Virtual hosts](#virtual-hosts)).",
  },
  {
    group: "Server",
    key: "maxConnections",
    flag: "max-connections",
    type: "int",
    default: 0,
    min: 0,
    meta: "N",
    help: "connections across all threads before new ones get 503 (0: unlimited)",
    doc: "Open connections across all threads; a connection over the limit gets `503` with `Retry-After: 1` and is closed.",
  },
  {
    group: "Server",
    key: "shutdownGraceMs",
    flag: "shutdown-grace",
    type: "duration",
    default: 10_000,
    min: 0,
    meta: "TIME",
    help: "on SIGINT/SIGTERM, how long in-flight requests may finish",
  },
  {
    group: "Server",
    key: "shutdownDelayMs",
    flag: "shutdown-delay",
    type: "duration",
    default: 0,
    min: 0,
    meta: "TIME",
    help: "on SIGTERM, keep accepting this long with readiness failing before draining (load balancers catch up)",
  },
  {
    group: "Server",
    key: "transport",
    flag: "transport",
    type: "choice",
    choices: ["auto", "uv", "net"],
    default: "auto",
    meta: "auto|uv|net",
    help: "connections on libuv handles (uv), on node:net (net), or uv where it can run (auto)",
    doc: "How connections are driven: `uv` on libuv's TCP handles through Node's internal bindings (the fastest), `net` on public `node:net` sockets (works on any Node), `auto` uv where the bindings fit and net otherwise. The banner says which runs and why. `PORTICO_TRANSPORT=net` decides in auto mode. Chosen at start: a reload keeps it.",
  },

  // Files
  {
    group: "Files",
    key: "index",
    flag: "index",
    type: "list",
    default: ["index.html"],
    meta: "NAMES",
    help: "index files for directories, comma-separated",
    doc: "File names tried, in order, for a directory.",
  },
  {
    group: "Files",
    key: "listing",
    flag: "listing",
    type: "bool",
    default: true,
    help: "list directories without an index file (--no-listing: 403)",
    doc: "List a directory that has no index file. Off: such a directory is `403 Forbidden`.",
  },
  {
    group: "Files",
    key: "spa",
    flag: "spa",
    type: "bool",
    default: false,
    help: "answer missing paths that accept text/html with the root index.html",
    doc: "Single-page apps: a GET/HEAD for a missing path whose `Accept` names `text/html` gets the root's index file with `200`. Assets (no `text/html` in `Accept`) still get `404`.",
  },
  {
    group: "Files",
    key: "dotfiles",
    flag: "dotfiles",
    type: "choice",
    choices: ["deny", "allow"],
    default: "deny",
    meta: "deny|allow",
    help: "serve names starting with '.' (/.well-known/ always is)",
    doc: "Names starting with `.` at any depth are `404` unless `allow`, also when reached through a symlink. `/.well-known/` is always served. Listings never show dotfiles.",
  },
  {
    group: "Files",
    key: "followSymlinks",
    flag: "follow-symlinks",
    type: "bool",
    default: false,
    help: "serve symlinks whose target is outside the root",
    doc: "Serve symlinks whose target lies outside the root (otherwise such paths are `404`).",
  },
  {
    group: "Files",
    key: "cacheControl",
    flag: "cache-control",
    type: "string",
    default: "no-cache",
    meta: "VALUE",
    help: 'Cache-Control for file responses (default: no-cache, i.e. revalidate with ETag; "" for none)',
    doc: '`Cache-Control` of file responses (200, 206 and 304). The default makes caches revalidate with `ETag`/`Last-Modified` every time; `""` sends none.',
  },
  {
    group: "Files",
    key: "compress",
    flag: "compress",
    type: "bool",
    default: true,
    help: "gzip/brotli/zstd variants of cached text files (--no-compress: off)",
    doc: "Make brotli, zstd and gzip variants of compressible cached files (text, JSON, SVG, JavaScript…).",
  },
  {
    group: "Files",
    key: "compressMinBytes",
    flag: "compress-min-size",
    type: "size",
    default: 1024,
    min: 0,
    meta: "SIZE",
    help: "smallest file compressed on the fly",
  },
  {
    group: "Files",
    key: "cacheMaxFileBytes",
    flag: "cache-max-file",
    type: "size",
    default: 1 << 20,
    min: 0,
    meta: "SIZE",
    help: "largest file kept in memory",
    doc: "Largest file kept in memory; bigger files stream from disk.",
  },
  {
    group: "Files",
    key: "cacheMaxBytes",
    flag: "cache-size",
    type: "size",
    default: 64 << 20,
    min: 0,
    meta: "SIZE",
    help: "memory for the file cache",
    doc: "Memory for the file cache (bytes of files and their compressed variants), least recently used first out.",
  },
  {
    group: "Files",
    key: "revalidateMs",
    flag: "cache-revalidate",
    type: "duration",
    default: 1000,
    min: 0,
    meta: "TIME",
    help: "how long a cached file is trusted before re-checking the disk (0: every request)",
    doc: "How long a cached file (or a path found missing) is trusted before the disk is checked again: inode, size and mtime of the file and its siblings. `0` checks on every request. With writes on, the server's own writes are seen by every thread at once.",
  },

  // Writes
  {
    group: "Writes",
    key: "writable",
    flag: "writable",
    type: "bool",
    default: false,
    help: "enable PUT (atomic create/replace) and DELETE",
  },
  {
    group: "Writes",
    key: "mkdir",
    flag: "mkdir",
    type: "bool",
    default: false,
    help: "PUT creates missing parent directories (otherwise 404)",
  },
  {
    group: "Writes",
    key: "fsync",
    flag: "fsync",
    type: "bool",
    default: false,
    help: "make each upload durable (fsync file and directory) before answering",
  },

  // HTTPS
  {
    group: "HTTPS",
    key: "cert",
    flag: "cert",
    type: "multi",
    default: [],
    meta: "FILE",
    help: "certificate (PEM, chain after the leaf) to serve HTTPS with; repeat with --key for more",
  },
  {
    group: "HTTPS",
    key: "key",
    flag: "key",
    type: "multi",
    default: [],
    meta: "FILE",
    help: "private key (PEM) of the --cert in the same position",
  },
  {
    group: "HTTPS",
    key: "httpPort",
    section: "server",
    flag: "http-port",
    type: "int",
    default: -1,
    min: 0,
    max: 65535,
    meta: "PORT",
    help: "also listen for plain HTTP on PORT: 308 to https://, and ACME HTTP-01 answers",
    doc: "Also listen for plain HTTP on PORT (on the first HTTPS listener's address): `308` to `https://` with the same host, path and query, and ACME HTTP-01 answers.",
  },
  {
    group: "HTTPS",
    key: "acme",
    flag: "acme",
    type: "bool",
    default: false,
    help: "get certificates for --domain from an ACME CA (Let's Encrypt by default) and renew them",
  },
  {
    group: "HTTPS",
    key: "domain",
    flag: "domain",
    type: "list",
    default: [],
    meta: "NAMES",
    help: "the host names to certify, comma-separated (with --acme, or named by --tls internal's certificate)",
  },
  {
    group: "HTTPS",
    key: "acmeCa",
    section: "acme",
    fileKey: "ca",
    flag: "acme-ca",
    type: "string",
    default: "https://acme-v02.api.letsencrypt.org/directory",
    meta: "URL",
    help: "the ACME CA's directory URL (default: Let's Encrypt production)",
  },
  {
    group: "HTTPS",
    key: "acmeEmail",
    section: "acme",
    fileKey: "email",
    flag: "acme-email",
    type: "string",
    default: "",
    meta: "ADDRESS",
    help: "contact address for the ACME account (expiry and policy notices)",
  },
  {
    group: "HTTPS",
    key: "acmeCaRoot",
    section: "acme",
    fileKey: "ca_root",
    flag: "acme-ca-root",
    type: "string",
    default: "",
    meta: "FILE",
    help: "extra root certificates (PEM) trusted when talking to the ACME CA (a private or test CA)",
    doc: "Extra root certificates (PEM) trusted when talking to the ACME CA, a private or test one (relative to the configuration file in a file).",
  },
  {
    group: "HTTPS",
    key: "dataDir",
    section: "server",
    flag: "data-dir",
    type: "string",
    default: "",
    meta: "DIR",
    help: "where ACME accounts, certificates and the local CA live (default: $XDG_DATA_HOME/portico or ~/.local/share/portico)",
    doc: "Where ACME accounts, certificates and the local CA live (default: `$XDG_DATA_HOME/portico` or `~/.local/share/portico`; relative to the configuration file in a file).",
  },
  {
    group: "HTTPS",
    key: "tls",
    flag: "tls",
    type: "choice",
    choices: ["internal"],
    default: "",
    meta: "internal",
    help: "serve HTTPS with certificates from a local CA kept in the data directory (see portico trust)",
  },

  // Logging
  {
    group: "Logging",
    key: "logFormat",
    fileKey: "format",
    flag: "log-format",
    type: "choice",
    choices: ["audit", "common", "combined", "combined-plus", "json"],
    default: "combined",
    meta: "FORMAT",
    help: "per-request log format: combined (default), common, combined-plus (combined + request time and upstream), json, audit (METHOD,URI,STATUS,REQUEST-ID)",
    doc: "`combined` (the default), `common`, `combined-plus` (combined with the request time and the upstream), `json`, or `audit` (`METHOD,URI,STATUS,REQUEST-ID`: the request-target as received and the `Request-Id` header, or `0`, with `,`, `%`, control bytes and bytes from 0x80 percent-encoded; `-` for a method or target never received).",
  },
  {
    group: "Logging",
    key: "statusPath",
    section: "server",
    flag: "status-path",
    type: "string",
    default: "",
    meta: "PATH",
    help: "serve a live dashboard at PATH, JSON at PATH/stats, Prometheus at PATH/metrics (default: off)",
    doc: "A live dashboard at `PATH`, statistics of all threads as JSON at `PATH/stats` and in Prometheus format at `PATH/metrics`.",
  },
  {
    group: "Logging",
    key: "statusAllow",
    section: "server",
    flag: "status-allow",
    type: "list",
    default: [],
    meta: "CIDR,…",
    help: "networks besides loopback that may see --status-path (default: loopback only; others get 403)",
  },
  {
    group: "Logging",
    key: "accessLog",
    fileKey: "file",
    flag: "access-log",
    type: "string",
    default: "",
    meta: "FILE",
    help: "append the per-request log to FILE instead of stderr (reopened on SIGUSR1)",
    doc: "Append the log to FILE instead of stderr (reopened on SIGUSR1; relative to the configuration file in a file).",
  },

  {
    group: "Logging",
    key: "accessLogMaxBytes",
    fileKey: "max_size",
    flag: "access-log-max-size",
    type: "size",
    default: 0,
    min: 0,
    meta: "SIZE",
    help: "rotate --access-log when it reaches SIZE: renamed FILE.1, FILE.2… (default: never; SIGUSR1 reopens for logrotate)",
  },
  {
    group: "Logging",
    key: "accessLogKeep",
    fileKey: "keep",
    flag: "access-log-keep",
    type: "int",
    default: 5,
    min: 1,
    max: 1000,
    meta: "N",
    help: "rotated access log files kept (FILE.1 … FILE.N)",
  },
  {
    group: "Logging",
    key: "accessLogRotateName",
    fileKey: "rotate_name",
    flag: "access-log-rotate-name",
    type: "choice",
    choices: ["numbered", "dated"],
    default: "numbered",
    meta: "numbered|dated",
    help: "names of rotated access log files: FILE.1, FILE.2… (numbered) or FILE-20261204T184512Z (dated, UTC)",
  },
  {
    group: "Logging",
    key: "accessLogGzip",
    fileKey: "gzip",
    flag: "access-log-gzip",
    type: "bool",
    default: false,
    help: "gzip rotated access log files (FILE.1.gz…), in the background",
  },

  // Protocol
  {
    group: "Protocol",
    key: "requireHost",
    flag: "require-host",
    type: "bool",
    default: true,
    help: "answer HTTP/1.1 requests without Host with 400 (RFC 9112 §3.2); --no-require-host for old clients",
  },
  {
    group: "Protocol",
    key: "http10",
    flag: "http10",
    type: "bool",
    default: true,
    help: "accept HTTP/1.0 requests (--no-http10: 505)",
  },
  {
    group: "Protocol",
    key: "methods",
    flag: "methods",
    type: "list",
    default: [],
    meta: "LIST",
    help: "only these methods are implemented; others get 501 (default: all)",
  },
  {
    group: "Protocol",
    key: "h2c",
    flag: "h2c",
    type: "bool",
    default: false,
    help: "also serve HTTP/2 with prior knowledge (h2c, RFC 9113 §3.3) on the plain port, beside HTTP/1.1",
  },
  {
    group: "Protocol",
    key: "h2MaxStreams",
    flag: "h2-max-streams",
    type: "int",
    default: 100,
    min: 1,
    max: 10_000,
    meta: "N",
    help: "HTTP/2 streams a client may have open at once (more are refused)",
  },
  {
    group: "Protocol",
    key: "h2MaxHeaderFrames",
    flag: "h2-max-header-frames",
    type: "int",
    default: 32,
    min: 1,
    max: 10_000,
    meta: "N",
    help: "HEADERS and CONTINUATION frames one HTTP/2 field block may take (more: the connection is closed)",
  },
  {
    group: "Protocol",
    key: "cors",
    section: "cli",
    flag: "cors",
    type: "bool",
    default: false,
    help: "allow cross-origin requests from any origin (Access-Control-Allow-Origin: *, preflights answered), for local development",
    doc: "For local development: every route answers cross-origin requests from any origin with `Access-Control-Allow-Origin: *` (no credentials) and answers preflights (`OPTIONS` with `Access-Control-Request-Method`) with `204`, the methods `GET, HEAD, POST, PUT, PATCH, DELETE`, the request fields asked for and `Access-Control-Max-Age: 600`. The same as a file's `cors = { origins = [\"*\"] }` on every route; a file's `cors` lists origins, credentials and the rest.",
  },
  {
    group: "Protocol",
    key: "errorDetail",
    flag: "error-detail",
    type: "bool",
    default: true,
    help: "error bodies name the problem (--no-error-detail: just the reason phrase)",
  },

  // Limits and timeouts
  {
    group: "Limits",
    key: "maxRequestLineBytes",
    flag: "max-request-line",
    type: "size",
    default: 8192,
    min: 64,
    meta: "SIZE",
    help: "longest request line (414 beyond)",
    doc: "Longer request lines get `414`.",
  },
  {
    group: "Limits",
    key: "maxHeaderBytes",
    flag: "max-header-size",
    type: "size",
    default: 16384,
    min: 256,
    meta: "SIZE",
    help: "largest header section (431 beyond)",
    doc: "Larger header sections get `431`.",
  },
  {
    group: "Limits",
    key: "maxHeaderCount",
    flag: "max-headers",
    type: "int",
    default: 100,
    min: 1,
    meta: "N",
    help: "most header fields (431 beyond)",
    doc: "More header fields get `431`.",
  },
  {
    group: "Limits",
    key: "maxBodyBytes",
    flag: "max-body",
    type: "size",
    default: 1 << 30,
    min: 0,
    meta: "SIZE",
    help: "largest request body (413 beyond)",
    doc: "Larger request bodies get `413`; a route may set a lower `max_body`.",
  },
  {
    group: "Limits",
    key: "headersTimeoutMs",
    flag: "headers-timeout",
    type: "duration",
    default: 10_000,
    min: 1,
    meta: "TIME",
    help: "time to receive a request head (408 after)",
    doc: "A request head not complete this long after the connection was accepted (or after the previous response on a kept-alive connection) gets `408` and the connection closes.",
  },
  {
    group: "Limits",
    key: "bodyTimeoutMs",
    flag: "body-timeout",
    type: "duration",
    default: 30_000,
    min: 1,
    meta: "TIME",
    help: "longest pause while receiving a body (408 after)",
    doc: "Longest silence while a body arrives (`408`); a route may set a shorter `body_timeout`.",
  },
  {
    group: "Limits",
    key: "keepAliveTimeoutMs",
    flag: "keep-alive-timeout",
    type: "duration",
    default: 5_000,
    min: 0,
    meta: "TIME",
    help: "idle time between requests on a connection",
    doc: "Idle time between requests before the connection is closed.",
  },
  {
    group: "Limits",
    key: "sendTimeoutMs",
    flag: "send-timeout",
    type: "duration",
    default: 60_000,
    min: 1,
    meta: "TIME",
    help: "longest wait for a client to read response bytes",
    doc: "Longest wait for a client to read response bytes.",
  },
  {
    group: "Limits",
    key: "maxRequestsPerConnection",
    flag: "max-requests-per-connection",
    type: "int",
    default: 0,
    min: 0,
    meta: "N",
    help: "close a connection after N requests (0: unlimited)",
  },

  // Reverse proxy
  {
    group: "Proxy",
    key: "proxy",
    section: "cli",
    flag: "proxy",
    type: "multi",
    default: [],
    meta: "[PREFIX=]URL[,URL...]",
    help: "proxy requests under PREFIX (default /) to these upstreams; repeatable; URL may end in ?weight=N; with a path, it replaces PREFIX",
    doc: "Proxy requests under PREFIX (default `/`) to these upstreams; repeatable. `URL?weight=N` for `weighted`; a URL with a path replaces PREFIX (nginx `proxy_pass` rules). With `--root`, files are tried first.",
  },
  {
    group: "Proxy",
    key: "lb",
    flag: "lb",
    type: "choice",
    choices: ["least-conn", "round-robin", "weighted", "p2c", "hash"],
    default: "least-conn",
    meta: "POLICY",
    help: "balancing: least-conn, round-robin, weighted, p2c or hash",
  },
  {
    group: "Proxy",
    key: "hashKey",
    flag: "hash-key",
    type: "string",
    default: "ip",
    meta: "KEY",
    help: "what --lb hash hashes: ip, header:NAME or cookie:NAME",
  },
  {
    group: "Proxy",
    key: "proxyHost",
    flag: "proxy-host",
    type: "choice",
    choices: ["keep", "upstream"],
    default: "keep",
    meta: "keep|upstream",
    help: "Host sent upstream: the client's, or the upstream's address",
  },
  {
    group: "Proxy",
    key: "proxyCa",
    flag: "proxy-ca",
    type: "string",
    default: "",
    meta: "FILE",
    help: "also trust the CA certificates (PEM) in FILE for https:// upstreams",
  },
  {
    group: "Proxy",
    key: "proxyTlsVerify",
    flag: "proxy-tls-verify",
    type: "choice",
    choices: ["on", "off"],
    default: "on",
    meta: "on|off",
    help: "check https:// upstreams' certificates (off: accept any, for testing only)",
  },
  {
    group: "Proxy",
    key: "upstreamKeepalive",
    flag: "upstream-keepalive",
    type: "int",
    default: 64,
    min: 0,
    meta: "N",
    help: "idle keep-alive connections kept per upstream per thread",
  },
  {
    group: "Proxy",
    key: "upstreamKeepaliveTimeoutMs",
    flag: "upstream-keepalive-timeout",
    type: "duration",
    default: 4000,
    min: 1,
    meta: "TIME",
    help: "how long an idle upstream connection is kept",
  },
  {
    group: "Proxy",
    key: "proxyConnectTimeoutMs",
    flag: "proxy-connect-timeout",
    type: "duration",
    default: 5000,
    min: 1,
    meta: "TIME",
    help: "time to connect to an upstream (504 after)",
  },
  {
    group: "Proxy",
    key: "proxyResponseTimeoutMs",
    flag: "proxy-response-timeout",
    type: "duration",
    default: 60_000,
    min: 1,
    meta: "TIME",
    help: "time for an upstream to start answering (504 after)",
  },
  {
    group: "Proxy",
    key: "proxyIdleTimeoutMs",
    flag: "proxy-idle-timeout",
    type: "duration",
    default: 60_000,
    min: 1,
    meta: "TIME",
    help: "longest upstream silence mid-response, or in a tunnel",
  },
  {
    group: "Proxy",
    key: "proxyAttempts",
    flag: "proxy-attempts",
    type: "int",
    default: 3,
    min: 1,
    max: 16,
    meta: "N",
    help: "tries per request when upstreams fail (only when safe to repeat)",
  },
  {
    group: "Proxy",
    key: "maxFails",
    flag: "max-fails",
    type: "int",
    default: 1,
    min: 0,
    meta: "N",
    help: "consecutive failures that eject an upstream (0: never)",
  },
  {
    group: "Proxy",
    key: "failTimeoutMs",
    flag: "fail-timeout",
    type: "duration",
    default: 10_000,
    min: 1,
    meta: "TIME",
    help: "how long an ejected upstream rests before a trial request",
  },
  {
    group: "Proxy",
    key: "proxyErrorDetail",
    flag: "proxy-error-detail",
    type: "bool",
    default: false,
    help: "502/503/504 bodies name the upstream and the error (default: the reason phrase alone; the log and status page always have it)",
    doc: "Error bodies of the proxy (`502`, `503`, `504`) name the upstream, its address and what went wrong, for development. By default clients get the reason phrase alone (`Bad Gateway`): the access log, stderr's upstream notices and the status page keep the detail.",
  },
  {
    group: "Proxy",
    key: "healthPath",
    flag: "health-path",
    type: "string",
    default: "",
    meta: "PATH",
    help: "enable active health checks: GET this path on every upstream",
  },
  {
    group: "Proxy",
    key: "healthIntervalMs",
    flag: "health-interval",
    type: "duration",
    default: 5000,
    min: 10,
    meta: "TIME",
    help: "time between active health checks",
  },
  {
    group: "Proxy",
    key: "healthStatus",
    flag: "health-status",
    type: "list",
    default: ["2xx", "3xx"],
    meta: "CODES",
    help: "statuses a health check accepts, e.g. 200,204 or 2xx",
  },
  {
    group: "Proxy",
    key: "healthRise",
    flag: "health-rise",
    type: "int",
    default: 2,
    min: 1,
    meta: "N",
    help: "passing checks that bring an upstream back",
  },
  {
    group: "Proxy",
    key: "healthFall",
    flag: "health-fall",
    type: "int",
    default: 3,
    min: 1,
    meta: "N",
    help: "failing checks that take an upstream out",
  },

  // TCP proxy (portico tcp)
  {
    group: "TCP proxy (portico tcp ...)",
    key: "listen",
    flag: "listen",
    type: "string",
    default: "",
    meta: "[HOST:]PORT",
    help: "address the TCP proxy listens on",
  },
  {
    group: "TCP proxy (portico tcp ...)",
    key: "upstream",
    flag: "upstream",
    type: "list",
    default: [],
    meta: "HOST:PORT,...",
    help: "TCP upstreams (uses --lb, --max-fails, --fail-timeout, --health-interval, --proxy-connect-timeout)",
  },
  {
    group: "TCP proxy (portico tcp ...)",
    key: "tcpIdleTimeoutMs",
    flag: "idle-timeout",
    type: "duration",
    default: 600_000,
    min: 1,
    meta: "TIME",
    help: "close a TCP stream after this long without traffic",
  },
] as const satisfies readonly OptionSpec[];

type Spec = (typeof OPTIONS)[number];

/** Every option's key: a key mistyped anywhere in the code fails type-checking. */
export type OptionKey = Spec["key"];

type ValueOf<S> = S extends { readonly type: "bool" }
  ? boolean
  : S extends { readonly type: "int" | "size" | "duration" }
    ? number
    : S extends { readonly type: "list" | "multi" }
      ? readonly string[]
      : S extends { readonly type: "choice"; readonly choices: readonly (infer C)[] }
        ? C
        : string;

/** The value of every option, typed from the table (sizes in bytes, durations in milliseconds). */
export type OptionValues = { readonly [S in Spec as S["key"]]: ValueOf<S> };

/** The options whose file section is `section`. */
export function optionsIn(section: OptionSection): OptionSpec[] {
  return (OPTIONS as readonly OptionSpec[]).filter((o) => sectionOf(o) === section);
}

export function sectionOf(spec: OptionSpec): OptionSection {
  return spec.section ?? SECTION_OF_GROUP[spec.group];
}

/** The option's key in a configuration file: `fileKey`, else the flag with "_" for "-". */
export function fileKeyOf(spec: OptionSpec): string {
  return spec.fileKey ?? spec.flag.replaceAll("-", "_");
}

/** Every option at its default. */
export function defaultValues(): OptionValues {
  const out: Record<string, unknown> = {};
  for (const o of OPTIONS as readonly OptionSpec[]) out[o.key] = o.default;
  return out as unknown as OptionValues;
}

export function optionByFlag(flag: string): OptionSpec | undefined {
  return (OPTIONS as readonly OptionSpec[]).find((o) => o.flag === flag);
}

export function optionByShort(short: string): OptionSpec | undefined {
  return (OPTIONS as readonly OptionSpec[]).find((o) => o.short === short);
}

export function optionByKey(key: string): OptionSpec | undefined {
  return (OPTIONS as readonly OptionSpec[]).find((o) => o.key === key);
}
