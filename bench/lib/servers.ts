// The servers under test and how to run them: file servers, and proxies in front of one shared nginx
// backend; over HTTP/1.1, or HTTP/2 with prior knowledge (h2c: Portico --h2c, nginx `listen … http2`,
// Caddy `protocols h1 h2c`, a bare node:http2 server). Each is pinned with taskset to its CPU set, started on a free port, ready once it answers a
// GET, stopped with SIGTERM (then SIGKILL). Also reads a server's resident memory and CPU time
// (process and children) from /proc.
// Not here: load generation (wrk.ts) or the scenario table (scenarios.ts).

import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import { nginxConfig } from "./nginx-conf.ts";
import { writeExampleConfig } from "./sites-config.ts";

export interface ServerVariant {
  /** Unique name in results ("portico", "nginx", "portico-t2", "sirv"…). */
  readonly id: string;
  /** Portico compiled to JavaScript (as the published package runs) instead of its TypeScript sources. */
  readonly compiled?: boolean;
  /** Which implementation: used for --servers filtering and ratios. */
  readonly kind: "portico" | "nginx" | "caddy" | "peer";
  /** Serve HTTP/2 with prior knowledge (h2c) on the plain port. */
  readonly h2c?: boolean;
  readonly threads?: number;
  readonly accessLog?: boolean;
  /** CPU list for taskset when not the default server CPU (the threads scenario). */
  readonly cpus?: string;
  /** A reverse proxy in front of the run's backend (env.upstream) instead of a file server. */
  readonly proxy?: boolean;
  /** Portico running the example configuration file (sites-config.ts) instead of flags. */
  readonly sites?: boolean;
  /**
   * nginx as a proxy: also send the forwarding fields Portico sends by default (X-Forwarded-For,
   * -Proto, -Host, Forwarded, Via both ways; the client's Host kept), so both do the same work.
   */
  readonly forwarding?: boolean;
  /** Serve HTTPS with the run's ECDSA P-256 certificate (tlsFiles), the same for every server. */
  readonly tls?: boolean;
  /** Serves bench/servers/techempower-app.ts (Portico --app), or is one of the app peers. */
  readonly app?: boolean;
  /** Portico on its node:net transport (--transport net) instead of the libuv handles. */
  readonly transport?: "net";
}

export interface ServerEnv {
  readonly repo: string;
  readonly node: string;
  readonly root: string;
  /** A temp folder for configs and logs. */
  readonly work: string;
  readonly serverCpus: string;
  readonly nginx: string;
  /** Caddy's path, or "" when it is not installed. */
  readonly caddy?: string;
  /** The shared backend the proxy variants forward to ("127.0.0.1:PORT"), once it runs. */
  readonly upstream?: string;
}

export interface RunningServer {
  readonly variant: ServerVariant;
  readonly port: number;
  readonly pid: number;
  readonly command: string;
  stop(): Promise<void>;
}

export const PEERS = ["sirv", "http-server", "serve", "fastify-static"] as const;

/** A bare node:http2 server (bench/servers/node-h2.ts): Node's own HTTP/2 before any work of a server's. */
export const NODE_H2: ServerVariant = { id: "node-h2", kind: "peer", h2c: true };

/** The one nginx every proxy variant forwards to, serving the docroot; pinned with the load (CPU 0). */
export const PROXY_BACKEND: ServerVariant = { id: "proxy-backend", kind: "nginx", threads: 1 };

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Portico built as the npm package is (scripts/build.ts, into the work folder once per run) and
 * started through its installed command: no type stripping at start-up, none of its compiler in every
 * thread.
 */
export function compiledCli(env: ServerEnv): string {
  const out = path.join(env.work, "compiled");
  const cli = path.join(out, "dist/bin/portico.js");
  if (fs.existsSync(cli)) return cli;
  execFileSync(env.node, [path.join(env.repo, "scripts/build.ts"), "--out", path.join(out, "dist")], {
    stdio: "inherit",
  });
  // The built files find package.json (the version) and node_modules (mime-db, uplot, bcryptjs) where a package has them.
  fs.copyFileSync(path.join(env.repo, "package.json"), path.join(out, "package.json"));
  fs.symlinkSync(path.join(env.repo, "node_modules"), path.join(out, "node_modules"));
  return cli;
}

/** One ECDSA P-256 certificate for 127.0.0.1 and localhost, made once per run in the work folder. */
export function tlsFiles(work: string): { cert: string; key: string } {
  const cert = path.join(work, "bench-tls.crt");
  const key = path.join(work, "bench-tls.key");
  if (!fs.existsSync(cert)) {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "7",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    fs.chmodSync(key, 0o644);
  }
  return { cert, key };
}

/** The command line (without taskset) for a variant. */
export function commandFor(v: ServerVariant, env: ServerEnv, port: number): string[] {
  const bin = (p: string): string => path.join(env.repo, "node_modules", p);
  if ((v.proxy === true || v.sites === true) && env.upstream === undefined)
    throw new Error(`${v.id} needs the proxy backend to be running`);
  switch (v.kind === "peer" ? v.id : v.kind) {
    case "portico": {
      const cli = v.compiled === true ? compiledCli(env) : path.join(env.repo, "src/cli.ts");
      if (v.sites === true) {
        const dir = fs.mkdtempSync(path.join(env.work, `${v.id}-`));
        const file = writeExampleConfig(env.repo, dir, env.root, port, env.upstream!);
        // Flags beside a file override its server-wide keys: the same threads, keep-alive and no log.
        return [env.node, cli, "-c", file, "-t", String(v.threads ?? 1), "--keep-alive-timeout", "10m", "--quiet"];
      }
      const args = [env.node, cli, "-t", String(v.threads ?? 1)];
      // The proxy keeps its default upstream pool (64 idle connections, like nginx's keepalive 64).
      if (v.app === true) args.push("--app", path.join(env.repo, "bench/servers/techempower-app.ts"));
      else args.push(...(v.proxy === true ? ["--proxy", `http://${env.upstream}`] : ["--root", env.root]));
      args.push("--keep-alive-timeout", "10m", "--host", "127.0.0.1");
      if (v.h2c === true) args.push("--h2c");
      if (v.tls === true) {
        const files = tlsFiles(env.work);
        args.push("--cert", files.cert, "--key", files.key);
      }
      if (v.transport !== undefined) args.push("--transport", v.transport);
      // --quiet turns the per-request log off; the logging variant writes it to a file instead.
      if (v.accessLog === true) args.push("--access-log", path.join(env.work, `${v.id}-${port}.log`));
      else args.push("--quiet");
      return [...args, String(port)];
    }
    case "nginx": {
      const dir = path.join(env.work, `nginx-${v.id}-${port}`);
      fs.mkdirSync(dir, { recursive: true });
      const conf = nginxConfig({
        root: env.root,
        port,
        workDir: dir,
        workers: v.threads ?? 1,
        accessLog: v.accessLog === true ? path.join(dir, "access.log") : "",
        proxyPass: v.proxy === true ? env.upstream : undefined,
        forwarding: v.forwarding === true,
        h2c: v.h2c === true,
        tls: v.tls === true ? tlsFiles(env.work) : undefined,
      });
      fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
      return [env.nginx, "-p", dir, "-c", path.join(dir, "nginx.conf")];
    }
    case "caddy": {
      if (v.tls === true) {
        // Caddy as users run it for HTTPS, with the same certificate; GOMAXPROCS=1 keeps it on one core.
        const dir = path.join(env.work, `caddy-${v.id}-${port}`);
        fs.mkdirSync(dir, { recursive: true });
        const files = tlsFiles(env.work);
        const conf = [
          "{",
          "\tadmin off",
          "\tauto_https disable_redirects",
          `\tstorage file_system ${dir}/data`,
          "}",
          `https://127.0.0.1:${port} {`,
          `\ttls ${files.cert} ${files.key}`,
          `\troot * ${env.root}`,
          "\tfile_server",
          "}",
          "",
        ].join("\n");
        fs.writeFileSync(path.join(dir, "Caddyfile"), conf);
        return ["caddy", "run", "--config", path.join(dir, "Caddyfile"), "--adapter", "caddyfile"];
      }
      if (env.caddy === undefined || env.caddy === "") throw new Error("caddy is not installed");
      const dir = path.join(env.work, `caddy-${v.id}-${port}`);
      fs.mkdirSync(dir, { recursive: true });
      // h2c beside HTTP/1.1, no admin endpoint, no automatic HTTPS: a file server on one port.
      const conf = `{\n\tauto_https off\n\tadmin off\n\tservers {\n\t\tprotocols h1 ${v.h2c === true ? "h2c" : ""}\n\t}\n}\nhttp://127.0.0.1:${port} {\n\troot * ${env.root}\n\tfile_server\n}\n`;
      fs.writeFileSync(path.join(dir, "Caddyfile"), conf);
      return [env.caddy, "run", "--config", path.join(dir, "Caddyfile"), "--adapter", "caddyfile"];
    }
    case "node-h2":
      return [env.node, path.join(env.repo, "bench/servers/node-h2.ts"), env.root, String(port)];
    case "sirv":
      return [
        env.node,
        bin("sirv-cli/bin.js"),
        env.root,
        "--port",
        String(port),
        "--host",
        "127.0.0.1",
        "--quiet",
        "--etag",
        "--gzip",
      ];
    case "http-server":
      return [
        env.node,
        bin("http-server/bin/http-server"),
        env.root,
        "-p",
        String(port),
        "-a",
        "127.0.0.1",
        "-s",
        "-g",
        "-d",
        "false",
      ];
    case "serve":
      return [
        env.node,
        bin("serve/build/main.js"),
        env.root,
        "-l",
        `tcp://127.0.0.1:${port}`,
        "-L",
        "-n",
        "--no-port-switching",
      ];
    case "fastify-static":
      return [env.node, path.join(env.repo, "bench/servers/fastify-static.ts"), env.root, String(port)];
    case "hono-node":
      return [env.node, path.join(env.repo, "bench/servers/hono-node.ts"), String(port)];
    case "fastify":
      return [env.node, path.join(env.repo, "bench/servers/fastify-techempower.ts"), String(port)];
    case "http-proxy":
      return [env.node, path.join(env.repo, "bench/servers/http-proxy.ts"), `http://${env.upstream}`, String(port)];
    default:
      throw new Error(`unknown server ${v.id}`);
  }
}

export async function startServer(
  v: ServerVariant,
  env: ServerEnv,
  cpus = v.cpus ?? env.serverCpus,
): Promise<RunningServer> {
  const port = await freePort();
  const argv = commandFor(v, env, port);
  const child: ChildProcess = spawn("taskset", ["-c", cpus, ...argv], {
    cwd: env.work,
    stdio: ["ignore", "ignore", "pipe"],
    // One core for Go's scheduler too (Caddy), and Caddy's data and config kept in the work folder.
    env: {
      ...process.env,
      NODE_ENV: "production",
      GOMAXPROCS: "1",
      XDG_DATA_HOME: env.work,
      XDG_CONFIG_HOME: env.work,
    },
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d.slice(0, 4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const command = `taskset -c ${cpus} ${argv.map((a) => (a.startsWith(env.repo) ? path.relative(env.repo, a) : a)).join(" ")}`;
  try {
    await waitReady(port, child, 20_000, v.app === true ? "/plaintext" : "/1k.txt", v.h2c === true, v.tls === true);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${v.id} did not start: ${(error as Error).message}\n${stderr}`);
  }
  return {
    variant: v,
    port,
    pid: child.pid!,
    command,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitReady(
  port: number,
  child: ChildProcess,
  timeoutMs: number,
  readyPath: string,
  h2c: boolean,
  tls = false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    if (h2c) {
      // Some h2c servers (nginx's `listen … http2`, node-h2) speak nothing else: ask with curl.
      const url = `http://127.0.0.1:${port}${readyPath}`;
      const curl = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge", url], {
        encoding: "utf8",
      });
      if (curl.stdout === "200") return;
    } else {
      try {
        if (tls) {
          if ((await httpsStatus(port, readyPath)) === 200) return;
        } else {
          const res = await fetch(`http://127.0.0.1:${port}${readyPath}`);
          await res.arrayBuffer();
          if (res.status === 200) return;
        }
      } catch {
        // Not listening yet.
      }
    }
    await sleep(100);
  }
  throw new Error("timed out waiting for it to answer");
}

/** GET over HTTPS without verification (the bench's own certificate), resolving with the status. */
function httpsStatus(port: number, pathname: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: "127.0.0.1", port, path: pathname, rejectUnauthorized: false, agent: false },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The process and all its descendants (nginx: master + workers). */
function family(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // The process ended while we looked.
    }
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Resident memory in bytes of a process and its descendants. */
export function residentBytes(pid: number): number {
  let total = 0;
  for (const p of family(pid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, "utf8"));
      if (m !== null) total += Number(m[1]) * 1024;
    } catch {
      // Gone.
    }
  }
  return total;
}

const CLOCK_TICKS_PER_SEC = 100;

/**
 * CPU seconds (user + system, all threads) used so far by a process and its descendants. CPU per
 * request is steadier than requests per second on a shared machine: other jobs slow the server
 * down but hardly change what each request costs it.
 */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of family(pid)) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone.
    }
  }
  return ticks / CLOCK_TICKS_PER_SEC;
}
