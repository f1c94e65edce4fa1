// The proxy scenario: Portico --proxy vs nginx proxy_pass (upstream keep-alive) vs http-proxy, all in
// front of one nginx backend serving a 1 KiB file. The proxy under test is pinned to CPU 1; wrk and
// the backend share CPU 0. Rounds alternate between proxies; medians and ratios are printed.
// Usage: node bench/proxy.ts [seconds=10] [rounds=3] [connections=50]

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const SECONDS = Number(process.argv[2] ?? 10);
const ROUNDS = Number(process.argv[3] ?? 3);
const CONNECTIONS = Number(process.argv[4] ?? 50);
const PROXY_CPU = "1";
const LOAD_CPU = "0";
const ROOT = new URL("..", import.meta.url).pathname;
const NODE = process.execPath;

for (const tool of ["nginx", "wrk", "taskset"]) {
  if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) {
    console.error(`bench/proxy: ${tool} is not installed (apt-get install nginx-light wrk util-linux)`);
    process.exit(1);
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "portico-proxy-bench-"));
fs.chmodSync(work, 0o755);
fs.writeFileSync(path.join(work, "1k.bin"), Buffer.alloc(1024, "a"));
const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function nginxConf(name: string, port: number, body: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "nginx.conf");
  fs.writeFileSync(
    file,
    `worker_processes 1;
daemon off;
master_process off;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 10000; }
http {
  access_log off;
  default_type application/octet-stream;
  keepalive_requests 1000000000;
  keepalive_timeout 600s;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${body.replace(/PORT/g, String(port))}
}
`,
  );
  return file;
}

function start(cpu: string, command: string, args: string[]): ChildProcess {
  const child = spawn("taskset", ["-c", cpu, command, ...args], { stdio: ["ignore", "ignore", "inherit"] });
  children.push(child);
  return child;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: "127.0.0.1" }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** CPU time (user + system, all threads) a process has used so far, in microseconds. */
function cpuMicros(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / 100;
}

function wrk(port: number, seconds: number): Promise<{ rps: number; errors: number; requests: number }> {
  return new Promise((resolve) => {
    const child = spawn("taskset", ["-c", LOAD_CPU, "wrk", "-t", "1", "-c", String(CONNECTIONS), "-d", `${seconds}s`, `http://127.0.0.1:${port}/1k.bin`], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.on("exit", () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
      const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
      const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = non2xx + (socket === null ? 0 : socket.slice(1).reduce((a, b) => a + Number(b), 0));
      if (rps === 0) console.error(`wrk measured nothing on port ${port}:\n${out}`);
      resolve({ rps, errors, requests });
    });
  });
}

async function main(): Promise<void> {
  const backendPort = await freePort();
  start(LOAD_CPU, "nginx", ["-c", nginxConf("backend", backendPort, `  server { listen 127.0.0.1:PORT reuseport backlog=4096; root ${work}; }`)]);
  await waitForPort(backendPort);

  const proxies: Array<{ name: string; port: number; pid: number }> = [];
  const porticoPort = await freePort();
  const portico = start(PROXY_CPU, NODE, [path.join(ROOT, "src/cli.ts"), "-t", "1", "-q", "--proxy", `http://127.0.0.1:${backendPort}`, String(porticoPort)]);
  proxies.push({ name: "portico", port: porticoPort, pid: portico.pid! });

  const nginxPort = await freePort();
  const nginx = start(PROXY_CPU, "nginx", [
    "-c",
    nginxConf(
      "proxy",
      nginxPort,
      `  upstream backend { server 127.0.0.1:${backendPort}; keepalive 64; }
  server {
    listen 127.0.0.1:PORT backlog=4096;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`,
    ),
  ]);
  proxies.push({ name: "nginx", port: nginxPort, pid: nginx.pid! });

  const httpProxyPort = await freePort();
  const script = path.join(work, "http-proxy.cjs");
  fs.writeFileSync(
    script,
    `const http = require("http");
const httpProxy = require(${JSON.stringify(path.join(ROOT, "node_modules/http-proxy"))});
const proxy = httpProxy.createProxyServer({ target: "http://127.0.0.1:${backendPort}" });
proxy.on("error", (e, req, res) => { res.writeHead(502); res.end(); });
http.createServer((req, res) => proxy.web(req, res)).listen(${httpProxyPort}, "127.0.0.1");
`,
  );
  const httpProxy = start(PROXY_CPU, NODE, [script]);
  proxies.push({ name: "http-proxy", port: httpProxyPort, pid: httpProxy.pid! });

  for (const p of proxies) await waitForPort(p.port);
  // Warm up each proxy (JIT, upstream pools) before measuring.
  for (const p of proxies) await wrk(p.port, 3);

  // Throughput depends on everything else the machine runs; CPU time per request of the proxy
  // process is the steadier figure on a shared machine, so both are reported.
  const results = new Map<string, number[]>(proxies.map((p) => [p.name, []]));
  const costs = new Map<string, number[]>(proxies.map((p) => [p.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of proxies) {
      const before = cpuMicros(p.pid);
      const r = await wrk(p.port, SECONDS);
      const perRequest = (cpuMicros(p.pid) - before) / Math.max(1, r.requests);
      results.get(p.name)!.push(r.rps);
      costs.get(p.name)!.push(perRequest);
      console.log(`round ${round + 1} ${p.name.padEnd(10)} ${r.rps.toFixed(0).padStart(8)} req/s ${perRequest.toFixed(1).padStart(6)} µs CPU/req${r.errors > 0 ? `  (${r.errors} errors)` : ""}`);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const m = Object.fromEntries([...results].map(([k, v]) => [k, median(v)]));
  console.log(`\nproxy scenario: 1 KiB file from an nginx backend, ${CONNECTIONS} connections, proxy on CPU ${PROXY_CPU}, wrk + backend on CPU ${LOAD_CPU}, ${ROUNDS} × ${SECONDS}s, medians`);
  const c = Object.fromEntries([...costs].map(([k, v]) => [k, median(v)]));
  for (const [name, rps] of Object.entries(m)) console.log(`  ${name.padEnd(10)} ${rps!.toFixed(0).padStart(8)} req/s ${c[name]!.toFixed(1).padStart(6)} µs CPU/req`);
  console.log(`  portico / nginx proxy_pass = ${(m.portico! / m.nginx!).toFixed(2)}× throughput, ${(c.nginx! / c.portico!).toFixed(2)}× CPU efficiency`);
  console.log(`  portico / http-proxy       = ${(m.portico! / m["http-proxy"]!).toFixed(2)}× throughput, ${(c["http-proxy"]! / c.portico!).toFixed(2)}× CPU efficiency`);
}

function cleanup(): void {
  for (const c of children) c.kill("SIGKILL");
  fs.rmSync(work, { recursive: true, force: true });
}

process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});

try {
  await main();
} finally {
  cleanup();
}
