// `node bench/app-instructions.ts [--servers a,b] [--tests a,b] [--requests N] [--warmup N] [--connections N]`:
// user-space instructions per request of the TechEmpower app servers (Portico --app, @hono/node-server,
// fastify) under valgrind's callgrind — repeatable on a shared machine, where time is not. Each server
// runs alone under callgrind; a client here (outside valgrind) warms it up, counters are zeroed, exactly
// N requests are sent (keep-alive, or pipelined 16 deep), and the dump's total over N is the figure.
// All threads of the server process count (V8's compiler and GC threads included).

import { Buffer } from "node:buffer";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { freePort, sleep } from "./lib/servers.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const NODE = path.join(REPO, "node_modules/.bin/node");

const { values: opts } = parseArgs({
  options: {
    servers: { type: "string", default: "portico-app,hono-node,fastify" },
    tests: { type: "string", default: "plaintext,json,pipelined" },
    requests: { type: "string", default: "20000" },
    /** Warm-up by time: under valgrind V8's optimising compilers need tens of seconds to settle. */
    "warmup-seconds": { type: "string", default: "60" },
    connections: { type: "string", default: "8" },
    /** Keep each measured dump here (for callgrind_annotate). */
    keep: { type: "string" },
  },
});

const SERVERS: Record<string, (port: number) => string[]> = {
  // The engine alone for reference: the same body as a 13-byte file (--root is the folder holding "plaintext").
  "portico-static": (port) => [
    path.join(REPO, "src/cli.ts"),
    "--root",
    staticRoot(),
    "-t",
    "1",
    "--quiet",
    "--host",
    "127.0.0.1",
    String(port),
  ],
  "portico-app": (port) => [
    path.join(REPO, "src/cli.ts"),
    "--app",
    path.join(REPO, "bench/servers/techempower-app.ts"),
    "-t",
    "1",
    "--quiet",
    "--host",
    "127.0.0.1",
    String(port),
  ],
  // A bare fetch handler, answering with the lightweight Response and with undici's (env below).
  "portico-bare": (port) => porticoApp("bench/servers/bare-app.ts", port),
  "portico-bare-undici": (port) => porticoApp("bench/servers/bare-app.ts", port),
  "hono-node": (port) => [path.join(REPO, "bench/servers/hono-node.ts"), String(port)],
  fastify: (port) => [path.join(REPO, "bench/servers/fastify-techempower.ts"), String(port)],
};

function porticoApp(file: string, port: number): string[] {
  const args = [path.join(REPO, "src/cli.ts"), "--app", path.join(REPO, file), "-t", "1", "--quiet"];
  return [...args, "--host", "127.0.0.1", String(port)];
}

function staticRoot(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-callgrind-root-"));
  fs.writeFileSync(path.join(dir, "plaintext"), "Hello, World!");
  fs.writeFileSync(path.join(dir, "json"), '{"message":"Hello, World!"}');
  return dir;
}

const TESTS: Record<string, { path: string; depth: number }> = {
  plaintext: { path: "/plaintext", depth: 1 },
  json: { path: "/json", depth: 1 },
  pipelined: { path: "/plaintext", depth: 16 },
};

/** Sends `total` GETs over `connections` keep-alive connections, `depth` in flight on each; resolves when all are answered. */
async function load(port: number, target: string, total: number, connections: number, depth: number): Promise<void> {
  const one = `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
  const perConnection = Math.ceil(total / connections);
  await Promise.all(
    Array.from({ length: connections }, (_, i) => {
      const count = Math.min(perConnection, total - i * perConnection);
      return count > 0 ? drive(port, one, count, depth) : Promise.resolve();
    }),
  );
}

/**
 * `count` requests on one connection, `depth` at a time. A connection the server closes early (a
 * timeout while valgrind crawls) is replaced for the rest: the count stays exact.
 */
function drive(port: number, request: string, count: number, depth: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let sent = 0;
    let answered = 0;
    let failed = false;
    socket.setTimeout(120_000, () => socket.destroy(new Error("no answer for two minutes")));
    socket.on("close", () => {
      if (!failed && answered < count) drive(port, request, count - answered, depth).then(resolve, reject);
    });
    let pending: Buffer = Buffer.alloc(0);
    const send = (): void => {
      const n = Math.min(depth, count - sent);
      if (n <= 0) return;
      sent += n;
      socket.write(request.repeat(n));
    };
    socket.on("connect", send);
    socket.on("error", (error: NodeJS.ErrnoException) => {
      // Refused while starting up: waitReady retries; a reset mid-run is replaced on close.
      if (error.code === "ECONNREFUSED" || error.message.startsWith("no answer")) {
        failed = true;
        reject(error);
      }
    });
    socket.on("data", (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let pos = 0;
      while (true) {
        const headEnd = pending.indexOf("\r\n\r\n", pos);
        if (headEnd === -1) break;
        const head = pending.toString("latin1", pos, headEnd);
        const m = /content-length:\s*(\d+)/i.exec(head);
        let end = headEnd + 4 + (m === null ? 0 : Number(m[1]));
        if (/transfer-encoding:\s*chunked/i.test(head)) {
          // The bodies here are short and never hold a line "0": the last chunk ends the message.
          const last = pending.indexOf("0\r\n\r\n", headEnd + 4);
          if (last === -1) break;
          end = last + 5;
        }
        if (end > pending.length) break;
        if (!head.startsWith("HTTP/1.1 200")) {
          failed = true;
          socket.destroy();
          reject(new Error(`unexpected response: ${head}`));
          return;
        }
        pos = end;
        answered++;
      }
      pending = pending.subarray(pos);
      if (answered === count) {
        socket.end();
        resolve();
      } else if (answered === sent) send();
    });
  });
}

async function waitReady(port: number, target: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 900_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      await load(port, target, 1, 1, 1);
      return;
    } catch {
      await sleep(250);
    }
  }
  throw new Error("server did not answer in time");
}

/**
 * A callgrind dump's instructions: all of them, and those in V8's optimising compilers (self cost of
 * functions named compiler::/turboshaft/maglev), which should be near zero once warm-up was long enough.
 */
function instructions(file: string): { total: number; compiler: number } {
  const names = new Map<string, string>();
  let total = 0;
  let compiler = 0;
  let inCompiler = false;
  let skipNext = false;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("fn=")) {
      const m = /^fn=\((\d+)\)(?: (.*))?$/.exec(line);
      const name = m === null ? line.slice(3) : (m[2] ?? names.get(m[1]!) ?? "");
      if (m?.[2] !== undefined) names.set(m[1]!, m[2]);
      inCompiler = /compiler::|turboshaft|maglev/i.test(name);
    } else if (line.startsWith("cfn=")) {
      const m = /^cfn=\((\d+)\) (.*)$/.exec(line);
      if (m !== null) names.set(m[1]!, m[2]!);
    } else if (line.startsWith("calls=")) {
      skipNext = true;
    } else if (/^[0-9+\-*]/.test(line)) {
      if (skipNext) {
        skipNext = false;
        continue;
      }
      const cost = Number(line.split(" ")[1] ?? 0);
      total += cost;
      if (inCompiler) compiler += cost;
    }
  }
  return { total, compiler };
}

async function measure(server: string, test: string): Promise<{ total: number; compiler: number }> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "portico-callgrind-"));
  const port = await freePort();
  const spec = TESTS[test]!;
  const child = spawn(
    "valgrind",
    [
      "--tool=callgrind",
      "--smc-check=all-non-file",
      "--dump-instr=no",
      `--callgrind-out-file=${path.join(work, "callgrind.out")}`,
      NODE,
      // V8's memory reducer starts major collections when the allocation rate per millisecond is low,
      // which everything is under valgrind (~50× slower): without this flag they dominate the counts.
      // Under real load it does not run, so leaving it out measures what a loaded server does.
      "--no-memory-reducer",
      ...SERVERS[server]!(port),
    ],
    {
      cwd: work,
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        NODE_ENV: "production",
        ...(server === "portico-bare-undici" ? { BARE_APP_RESPONSE: "undici" } : {}),
      },
    },
  );
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d.slice(0, 2000)));
  try {
    await waitReady(port, spec.path, child);
    const warmUntil = Date.now() + Number(opts["warmup-seconds"]) * 1000;
    while (Date.now() < warmUntil) await load(port, spec.path, 2000, Number(opts.connections), spec.depth);
    await sleep(1000);
    execFileSync("callgrind_control", ["-z", String(child.pid)], { stdio: "ignore" });
    const requests = Number(opts.requests);
    await load(port, spec.path, requests, Number(opts.connections), spec.depth);
    execFileSync("callgrind_control", ["-d", "measured", String(child.pid)], { stdio: "ignore" });
    await sleep(500);
    const dump = fs.readdirSync(work).find((f) => f.startsWith("callgrind.out") && !f.endsWith("callgrind.out"));
    if (dump === undefined) throw new Error(`no dump written\n${stderr}`);
    if (opts.keep !== undefined) {
      fs.mkdirSync(opts.keep, { recursive: true });
      fs.copyFileSync(path.join(work, dump), path.join(opts.keep, `${server}-${test}.callgrind`));
    }
    const counted = instructions(path.join(work, dump));
    return { total: counted.total / requests, compiler: counted.compiler / requests };
  } finally {
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const results: Array<{ server: string; test: string; total: number; compiler: number }> = [];
for (const test of opts.tests.split(",")) {
  for (const server of opts.servers.split(",")) {
    process.stderr.write(`${test}: ${server}…\n`);
    results.push({ server, test, ...(await measure(server, test)) });
  }
}
// Compilation still running after warm-up is a transient (it goes to zero in a steady state) and varies
// from run to run: the figure to compare is the rest.
const figure = (n: number): string => Math.round(n).toLocaleString("en").padStart(10);
process.stdout.write("test        server           instructions/request   without V8's compilers   compilers\n");
for (const r of results)
  process.stdout.write(
    `${r.test.padEnd(12)}${r.server.padEnd(17)}${figure(r.total)}${figure(r.total - r.compiler).padStart(25)}${figure(r.compiler).padStart(12)}\n`,
  );
