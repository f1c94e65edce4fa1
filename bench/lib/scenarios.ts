// The benchmark's scenarios: what load each applies, which servers take part, and how its result is
// read (requests/s or bytes/s, compared with which server). Names are what --only accepts.

import path from "node:path";
import { FILES } from "./docroot.ts";
import { NODE_H2, PEERS, type ServerVariant } from "./servers.ts";
import type { LoadSpec } from "./wrk.ts";

export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly kind: "load" | "memory" | "idle";
  readonly load?: LoadSpec;
  /** The headline number: requests per second, or bytes per second for large files. */
  readonly metric: "rps" | "throughput";
  /** Small-file scenario: Portico must beat the fastest Node peer by 8× here. */
  readonly small: boolean;
  /** Servers taking part, before --servers filtering. */
  readonly variants: readonly ServerVariant[];
  /** Response field that must be present for the run to count as what it claims (gzip). */
  readonly expectHeader?: { readonly name: string; readonly value: string; readonly request: readonly string[] };
  /** The server the ratios compare with: "nginx" unless said otherwise. */
  readonly baseline?: string;
  /** Needs the shared nginx backend (PROXY_BACKEND) running, whose address the proxies forward to. */
  readonly backend?: boolean;
}

const PORTICO: ServerVariant = { id: "portico", kind: "portico", threads: 1 };
/** The fallback transport on public node:net (http/net-transport.ts): what it costs against the handles. */
const PORTICO_NET: ServerVariant = { id: "portico-net", kind: "portico", threads: 1, transport: "net" };
const NGINX: ServerVariant = { id: "nginx", kind: "nginx", threads: 1 };
const PEER_VARIANTS: ServerVariant[] = PEERS.map((id) => ({ id, kind: "peer" }));
const ALL = [PORTICO, PORTICO_NET, NGINX, ...PEER_VARIANTS];
// Proxies on the server CPU, all forwarding to the same backend with upstream keep-alive. nginx twice:
// doing what Portico does (the forwarding fields, the baseline) and as configured out of the box.
const PROXIES: ServerVariant[] = [
  { id: "portico-proxy", kind: "portico", threads: 1, proxy: true },
  { id: "portico-proxy-net", kind: "portico", threads: 1, proxy: true, transport: "net" },
  { id: "nginx-proxy-fwd", kind: "nginx", threads: 1, proxy: true, forwarding: true },
  { id: "nginx-proxy", kind: "nginx", threads: 1, proxy: true },
  { id: "http-proxy", kind: "peer", proxy: true },
];

// HTTPS: every server on one core with the same ECDSA P-256 certificate; Caddy as users run it for
// automatic HTTPS (GOMAXPROCS=1). The ratios compare with nginx.
const HTTPS: ServerVariant[] = [
  { id: "portico-tls", kind: "portico", threads: 1, tls: true },
  { id: "nginx-tls", kind: "nginx", threads: 1, tls: true },
  { id: "caddy-tls", kind: "caddy", tls: true },
];

function tlsLoad(p: string, connections: number, more: Partial<LoadSpec> = {}): LoadSpec {
  return { path: p, connections, threads: 1, headers: [], https: true, ...more };
}

// TechEmpower's plaintext and JSON tests on one core each: Portico running the Hono app with one thread,
// the same app on @hono/node-server, and fastify (bench/servers/). Compared with the faster peer.
const APP_VARIANTS: ServerVariant[] = [
  { id: "portico-app", kind: "portico", threads: 1, app: true },
  { id: "hono-node", kind: "peer", app: true },
  { id: "fastify", kind: "peer", app: true },
];

function load(p: string, connections: number, headers: string[] = [], script?: LoadSpec["script"]): LoadSpec {
  return { path: p, connections, threads: 1, headers, script };
}

/** h2load over h2c with prior knowledge: `connections` × `streams` concurrent requests. */
function h2load(p: string, connections: number, streams: number): LoadSpec {
  return { path: p, connections, threads: 1, headers: [], tool: "h2load", streams };
}

// HTTP/2 over h2c for now; the lead switches them to TLS (ALPN h2, the same certificate for every
// server) once HTTPS lands. Ratios are to nginx in the same scenario.
const H2_SERVERS: ServerVariant[] = [
  { id: "portico-h2", kind: "portico", threads: 1, h2c: true },
  { id: "nginx-h2", kind: "nginx", threads: 1, h2c: true },
  { id: "caddy-h2", kind: "caddy", h2c: true },
  NODE_H2,
];
const H2_PROXIES: ServerVariant[] = [
  { id: "portico-proxy-h2", kind: "portico", threads: 1, proxy: true, h2c: true },
  { id: "nginx-proxy-h2", kind: "nginx", threads: 1, proxy: true, forwarding: true, h2c: true },
];

export function scenarios(repo: string, hasAccessLog: boolean): Scenario[] {
  const pipeline = { file: path.join(repo, "bench/wrk/pipeline.lua"), args: ["16"] };
  const list: Scenario[] = [
    {
      name: "small-50",
      title: "1 KiB, 50 keep-alive connections",
      kind: "load",
      load: load(FILES.small, 50),
      metric: "rps",
      small: true,
      variants: ALL,
    },
    {
      name: "small-1000",
      title: "1 KiB, 1,000 keep-alive connections",
      kind: "load",
      load: load(FILES.small, 1000),
      metric: "rps",
      small: true,
      variants: ALL,
    },
    {
      name: "new-conn",
      title: "1 KiB, a new connection per request (50)",
      kind: "load",
      load: load(FILES.small, 50, ["Connection: close"]),
      metric: "rps",
      small: true,
      variants: ALL,
    },
    {
      name: "pipelined",
      title: "1 KiB, 16 pipelined requests × 50 connections",
      kind: "load",
      load: load(FILES.small, 50, [], pipeline),
      metric: "rps",
      small: true,
      variants: ALL,
    },
    {
      name: "not-found",
      title: "404 Not Found, 50 connections",
      kind: "load",
      load: load(FILES.missing, 50),
      metric: "rps",
      small: true,
      variants: ALL,
    },
    {
      name: "gzip-32k",
      title: "32 KiB JavaScript, Accept-Encoding: gzip, 50 connections",
      kind: "load",
      load: load(FILES.js, 50, ["Accept-Encoding: gzip"]),
      metric: "rps",
      small: true,
      variants: ALL,
      expectHeader: { name: "content-encoding", value: "gzip", request: ["Accept-Encoding", "gzip"] },
    },
    {
      name: "file-1m",
      title: "1 MiB file, 20 connections",
      kind: "load",
      load: load(FILES.medium, 20),
      metric: "throughput",
      small: false,
      variants: ALL,
    },
    {
      name: "file-100m",
      title: "100 MiB file, 4 connections (throughput)",
      kind: "load",
      load: load(FILES.large, 4),
      metric: "throughput",
      small: false,
      variants: ALL,
    },
    {
      name: "threads",
      title: "1 KiB, 50 connections: 1 thread vs 2 (server on both CPUs, wrk shares CPU 0)",
      kind: "load",
      load: load(FILES.small, 50),
      metric: "rps",
      small: false,
      variants: [
        PORTICO,
        { id: "portico-t2", kind: "portico", threads: 2, cpus: "0,1" },
        NGINX,
        { id: "nginx-w2", kind: "nginx", threads: 2, cpus: "0,1" },
      ],
    },
    {
      name: "access-log",
      title: "1 KiB, 50 connections, access log to a file vs none",
      kind: "load",
      load: load(FILES.small, 50),
      metric: "rps",
      small: false,
      variants: [
        PORTICO,
        ...(hasAccessLog ? [{ id: "portico-log", kind: "portico", threads: 1, accessLog: true } as const] : []),
        NGINX,
        { id: "nginx-log", kind: "nginx", threads: 1, accessLog: true },
      ],
    },
    {
      name: "proxy",
      title: "1 KiB through a reverse proxy from one nginx backend (on CPU 0 with wrk), 50 keep-alive connections",
      kind: "load",
      load: load(FILES.small, 50),
      metric: "rps",
      small: false,
      variants: PROXIES,
      baseline: "nginx-proxy-fwd",
      backend: true,
    },
    {
      name: "sites",
      title:
        "1 KiB from the example configuration's site (hosts, headers, CORS, six routes beside a rate-limited proxy) vs one site from flags, 50 connections",
      kind: "load",
      load: load(FILES.small, 50, ["Host: shop.test", "Origin: https://app.test"]),
      metric: "rps",
      small: false,
      variants: [PORTICO, { id: "portico-sites", kind: "portico", threads: 1, sites: true }],
      baseline: "portico",
      backend: true,
    },
    {
      name: "h2-small",
      title: "HTTP/2 (h2c): 1 KiB, 50 connections × 10 streams",
      kind: "load",
      load: h2load(FILES.small, 50, 10),
      metric: "rps",
      small: false,
      variants: H2_SERVERS,
      baseline: "nginx-h2",
    },
    {
      name: "h2-file-1m",
      title: "HTTP/2 (h2c): 1 MiB file, 100 streams on one connection",
      kind: "load",
      load: h2load(FILES.medium, 1, 100),
      metric: "throughput",
      small: false,
      variants: H2_SERVERS,
      baseline: "nginx-h2",
    },
    {
      name: "h2-proxy",
      title: "HTTP/2 (h2c) to the proxy, HTTP/1.1 to one nginx backend: 1 KiB, 50 connections × 10 streams",
      kind: "load",
      load: h2load(FILES.small, 50, 10),
      metric: "rps",
      small: false,
      variants: H2_PROXIES,
      baseline: "nginx-proxy-h2",
      backend: true,
    },
    {
      name: "https-small-50",
      title: "HTTPS: 1 KiB, 50 keep-alive connections",
      kind: "load",
      load: tlsLoad(FILES.small, 50),
      metric: "rps",
      small: false,
      variants: HTTPS,
      baseline: "nginx-tls",
    },
    {
      name: "https-new-conn",
      title: "HTTPS: 1 KiB, a new TLS connection per request, full handshakes (50)",
      kind: "load",
      load: tlsLoad(FILES.small, 50, { headers: ["Connection: close"] }),
      metric: "rps",
      small: false,
      variants: HTTPS,
      baseline: "nginx-tls",
    },
    {
      name: "https-resumed",
      title: "HTTPS: 1 KiB, a new TLS connection per request, resumed sessions (50)",
      kind: "load",
      load: tlsLoad(FILES.small, 50, { resume: true }),
      metric: "rps",
      small: false,
      variants: HTTPS,
      baseline: "nginx-tls",
    },
    {
      name: "https-file-1m",
      title: "HTTPS: 1 MiB file, 20 connections",
      kind: "load",
      load: tlsLoad(FILES.medium, 20),
      metric: "throughput",
      small: false,
      variants: HTTPS,
      baseline: "nginx-tls",
    },
    {
      name: "app-plaintext",
      title: "TechEmpower plaintext (app), 256 keep-alive connections",
      kind: "load",
      load: load("/plaintext", 256),
      metric: "rps",
      small: false,
      variants: APP_VARIANTS,
      baseline: "fastify",
    },
    {
      name: "app-pipelined",
      title: "TechEmpower plaintext (app), 16 pipelined requests × 256 connections",
      kind: "load",
      load: load("/plaintext", 256, [], pipeline),
      metric: "rps",
      small: false,
      variants: APP_VARIANTS,
      baseline: "fastify",
    },
    {
      name: "app-json",
      title: "TechEmpower JSON (app), 256 keep-alive connections",
      kind: "load",
      load: load("/json", 256),
      metric: "rps",
      small: false,
      variants: APP_VARIANTS,
      baseline: "fastify",
    },
    {
      name: "memory",
      title: "Resident memory per idle keep-alive connection",
      kind: "memory",
      metric: "rps",
      small: false,
      variants: [PORTICO, NGINX],
    },
    {
      name: "idle-rss",
      title: "Resident memory of an idle server by thread count",
      kind: "idle",
      metric: "rps",
      small: false,
      variants: [
        { id: "portico-js", kind: "portico", threads: 1, compiled: true },
        { id: "portico-js-t2", kind: "portico", threads: 2, compiled: true },
        { id: "portico-js-t4", kind: "portico", threads: 4, compiled: true },
        PORTICO,
        { id: "portico-t2", kind: "portico", threads: 2 },
        { id: "portico-t4", kind: "portico", threads: 4 },
        NGINX,
        { id: "nginx-w2", kind: "nginx", threads: 2 },
        { id: "nginx-w4", kind: "nginx", threads: 4 },
      ],
    },
  ];
  return list;
}
