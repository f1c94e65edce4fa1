// `node bench/listing-stall.ts [--files N] [--cli PATH] [--seconds S] [--revalidate TIME]`: the cost of a
// large directory listing and what it does to everyone else. Makes a directory of N (10,000) files and a
// 6-byte file, starts Portico on one thread (`--cache-revalidate TIME`, default 1s; 0 reads the directory
// for every listing), then measures (1) the time per listing, one at a time, HTML and JSON, with the
// server's CPU time per listing, and (2) the latency of a cached small GET while 10 clients fetch the
// listing back to back. A measurement script, not a benchmark for ratios: run it alone for figures.

import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startCli } from "./lib/cli-server.ts";

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "10000" },
    cli: { type: "string", default: path.resolve(import.meta.dirname, "../src/cli.ts") },
    seconds: { type: "string", default: "5" },
    listers: { type: "string", default: "10" },
    revalidate: { type: "string", default: "1s" },
  },
});
const files = Number(values.files);
const seconds = Number(values.seconds);
const listers = Number(values.listers);

const root = fs.mkdtempSync(path.join(os.tmpdir(), "portico-listing-"));
fs.writeFileSync(path.join(root, "small.txt"), "small\n");
fs.mkdirSync(path.join(root, "big"));
for (let i = 0; i < files; i++) fs.writeFileSync(path.join(root, "big", `file-${String(i).padStart(6, "0")}.txt`), "x");

const { child: server, port } = await startCli(values.cli, [
  "--root",
  root,
  "-t",
  "1",
  "--quiet",
  "--cache-revalidate",
  values.revalidate,
  "0",
]);

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function get(pathname: string, accept = "text/html"): Promise<{ ms: number; status: number; bytes: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: pathname, agent, headers: { accept } }, (res) => {
      let bytes = 0;
      res.on("data", (d: Buffer) => (bytes += d.length));
      res.on("end", () => resolve({ ms: performance.now() - t0, status: res.statusCode ?? 0, bytes }));
    });
    req.on("error", reject);
  });
}

function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;

/** The server process's CPU time so far (user + system), in ms. */
function serverCpuMs(): number {
  const fields = fs.readFileSync(`/proc/${server.pid}/stat`, "latin1").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

try {
  // 1. One listing at a time.
  for (const [label, accept] of [
    ["HTML", "text/html"],
    ["JSON", "application/json"],
  ] as const) {
    const times: number[] = [];
    let bytes = 0;
    const cpu = serverCpuMs();
    for (let i = 0; i < 20; i++) {
      const r = await get("/big/", accept);
      if (r.status !== 200) throw new Error(`listing answered ${r.status}`);
      times.push(r.ms);
      bytes = r.bytes;
    }
    process.stdout.write(
      `listing of ${files} files (${label}, ${bytes} bytes, --cache-revalidate ${values.revalidate}), one at a time: first ${fmt(times[0]!)}, median ${fmt(quantile(times.slice(1), 0.5))}, p90 ${fmt(quantile(times.slice(1), 0.9))}; server CPU ${fmt((serverCpuMs() - cpu) / 20)} per listing\n`,
    );
  }

  // 2. A cached small GET while `listers` clients list the directory back to back.
  for (let i = 0; i < 20; i++) await get("/small.txt");
  let running = true;
  let listings = 0;
  const loops = Array.from({ length: listers }, async () => {
    while (running) {
      await get("/big/");
      listings++;
    }
  });
  const small: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    small.push((await get("/small.txt")).ms);
    await new Promise((r) => setTimeout(r, 20));
  }
  running = false;
  await Promise.all(loops);
  process.stdout.write(
    `cached 6-byte GET while ${listers} clients list (${listings} listings in ${seconds} s, ${fmt((seconds * 1000 * listers) / listings)} each): median ${fmt(quantile(small, 0.5))}, p99 ${fmt(quantile(small, 0.99))}, max ${fmt(Math.max(...small))} (${small.length} GETs)\n`,
  );
} finally {
  agent.destroy();
  server.kill("SIGTERM");
  fs.rmSync(root, { recursive: true, force: true });
}
