// `node bench/latency-agreement.ts [--seconds S] [--connections N] [--quick]` (Node 24, as npm scripts
// run it: node_modules/.bin/node): does Portico's latency
// histogram agree with what a client measures? Runs wrk --latency against Portico (one thread, pinned
// to CPU 0 and wrk to CPU 1 where taskset exists) for a small file and for a proxy to an upstream that
// waits 5 ms, takes the server's histogram before and after each run from PREFIX/stats, and prints
// wrk's p50/p90/p99 beside the percentiles of the server's histogram increase, with their ratio.
// The server times from the event-loop turn that learned of a request's first byte to the end of the
// turn that hands its last byte to the kernel; wrk adds the network, its own queueing and the time a
// request waits in the socket before the server's loop learns of it (the previous turn), so wrk ≥ server.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { type LatencyBucket, quantileMs } from "../src/observe/stats.ts";

const { values: opts } = parseArgs({
  options: {
    seconds: { type: "string" },
    connections: { type: "string", default: "50" },
    quick: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  process.stdout.write("usage: node bench/latency-agreement.ts [--seconds S] [--connections N] [--quick]\n");
  process.exit(0);
}
const seconds = Number(opts.seconds ?? (opts.quick ? 2 : 10));
const connections = Number(opts.connections);
const CLI = new URL("../src/cli.ts", import.meta.url).pathname;
const PREFIX = "/_portico";
const UPSTREAM_DELAY_MS = 5;
const QUANTILES = [
  ["p50", 0.5, "50%"],
  ["p90", 0.9, "90%"],
  ["p99", 0.99, "99%"],
] as const;

const pinned = spawnSync("taskset", ["-c", "0", "true"]).status === 0;
const pin = (cpu: string, command: string[]): string[] => (pinned ? ["taskset", "-c", cpu, ...command] : command);

interface Stats {
  latency: { count: number; buckets: Array<{ leMs: number | null; count: number }> };
}

async function main(): Promise<void> {
  if (spawnSync("wrk", ["--version"]).error !== undefined)
    throw new Error("wrk is not installed (apt-get install wrk)");
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "portico-latency-"));
  fs.writeFileSync(path.join(root, "1k.txt"), "x".repeat(1024));
  const upstream = http.createServer((_req, res) => {
    setTimeout(() => res.end("upstream answer\n"), UPSTREAM_DELAY_MS);
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const upstreamPort = (upstream.address() as AddressInfo).port;
  const { child, port } = await startPortico([
    "-q",
    "-t",
    "1",
    "--root",
    root,
    "--proxy",
    `/slow/=http://127.0.0.1:${upstreamPort}`,
    "--status-path",
    PREFIX,
  ]);
  try {
    process.stdout.write(
      `wrk -c ${connections} -t 2 -d ${seconds}s --latency${pinned ? " (server on CPU 0, wrk on CPU 1)" : ""}\n\n`,
    );
    process.stdout.write("scenario                 quantile        wrk     server   wrk/server\n");
    for (const [name, target] of [
      ["1 KiB file", "/1k.txt"],
      [`proxy, ${UPSTREAM_DELAY_MS} ms upstream`, "/slow/x"],
    ] as const) {
      const before = await stats(port);
      const wrk = await runWrk(port, target);
      const after = await stats(port);
      const buckets: LatencyBucket[] = after.latency.buckets.map((b, k) => ({
        leMs: b.leMs ?? Number.POSITIVE_INFINITY,
        count: b.count - (before.latency.buckets[k]?.count ?? 0),
      }));
      const count = after.latency.count - before.latency.count;
      for (const [label, q, wrkKey] of QUANTILES) {
        const client = wrk.get(wrkKey) ?? Number.NaN;
        const server = quantileMs(buckets, count, q);
        process.stdout.write(
          `${name.padEnd(24)} ${label.padEnd(8)} ${fmt(client).padStart(10)} ${fmt(server).padStart(10)} ${(client / server).toFixed(2).padStart(12)}\n`,
        );
      }
      process.stdout.write(
        `${"".padEnd(24)} requests ${String(wrk.get("requests")).padStart(10)} ${String(count).padStart(10)}\n`,
      );
    }
  } finally {
    child.kill("SIGTERM");
    upstream.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function fmt(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`;
}

/** Starts Portico on a free port and resolves once its banner names the port. */
function startPortico(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const command = pin("0", [process.execPath, CLI, ...args, "0"]);
  const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /https?:\/\/[^\s]*:(\d+)\//.exec(out);
      if (m !== null) resolve({ child, port: Number(m[1]) });
    });
    child.once("exit", (code) => reject(new Error(`portico exited with ${code}: ${out}`)));
  });
}

function stats(port: number): Promise<Stats> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: `${PREFIX}/stats` }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => (body += d));
        res.on("end", () => resolve(JSON.parse(body) as Stats));
      })
      .on("error", reject);
  });
}

const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** wrk's latency distribution ("50%" … "99%", in ms) and its request count. */
function runWrk(port: number, target: string): Promise<Map<string, number>> {
  const args = pin("1", [
    "wrk",
    "-t",
    "2",
    "-c",
    String(connections),
    "-d",
    `${seconds}s`,
    "--latency",
    `http://127.0.0.1:${port}${target}`,
  ]);
  return new Promise((resolve, reject) => {
    const child = spawn(args[0]!, args.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}: ${out}`));
      const found = new Map<string, number>();
      for (const m of out.matchAll(/^\s+(\d+%)\s+([\d.]+)(us|ms|s|m)$/gm))
        found.set(m[1]!, Number(m[2]) * UNITS[m[3]!]!);
      found.set("requests", Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN));
      resolve(found);
    });
  });
}

await main();
