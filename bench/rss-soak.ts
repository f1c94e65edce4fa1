// `node bench/rss-soak.ts [--cli PATH] [--threads N] [--slow N] [--seconds S]`: whether resident memory
// stays flat under load. Starts Portico on a docroot with a small file, a 10 MB file and a listing, then
// samples the server's RSS every 2 s through three phases: N (200) slow readers each downloading the
// large file at ~64 KiB every 200 ms; a soak of keep-alive clients mixing small files, ranges,
// listings, 404s and uploads; then quiet. Prints each phase's samples and its drift (median of the last
// third minus median of the first third). A measurement script: RSS does not depend on CPU load, so it
// can run on a shared machine.

import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startCli } from "./lib/cli-server.ts";

const { values } = parseArgs({
  options: {
    cli: { type: "string", default: path.resolve(import.meta.dirname, "../src/cli.ts") },
    threads: { type: "string", default: "2" },
    slow: { type: "string", default: "200" },
    seconds: { type: "string", default: "60" },
  },
});
const seconds = Number(values.seconds);

const root = fs.mkdtempSync(path.join(os.tmpdir(), "portico-soak-"));
fs.writeFileSync(path.join(root, "small.txt"), "small file\n");
fs.writeFileSync(path.join(root, "big.bin"), Buffer.alloc(10 << 20, 0x62));
fs.mkdirSync(path.join(root, "dir"));
for (let i = 0; i < 500; i++) fs.writeFileSync(path.join(root, "dir", `f${i}.txt`), "x");

const { child: server, port } = await startCli(values.cli, [
  "--root",
  root,
  "-t",
  values.threads,
  "--quiet",
  "--writable",
  "0",
]);

function rssMiB(): number {
  const status = fs.readFileSync(`/proc/${server.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Samples RSS every 2 s while `work` runs; returns the samples. */
async function phase(name: string, work: (until: number) => Promise<unknown>, lengthS: number): Promise<void> {
  const samples: number[] = [];
  const until = Date.now() + lengthS * 1000;
  let running = true;
  const sampler = (async () => {
    while (running) {
      samples.push(rssMiB());
      await delay(2000);
    }
  })();
  await work(until);
  running = false;
  await sampler;
  const third = Math.max(1, Math.floor(samples.length / 3));
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const drift = med(samples.slice(-third)) - med(samples.slice(0, third));
  process.stdout.write(
    `${name.padEnd(14)} RSS MiB: min ${Math.min(...samples).toFixed(1)}, max ${Math.max(...samples).toFixed(1)}, drift ${drift >= 0 ? "+" : ""}${drift.toFixed(1)} (${samples.length} samples: ${samples.map((s) => s.toFixed(0)).join(" ")})\n`,
  );
}

/** A client that downloads the large file over and over, reading ~64 KiB every 200 ms. */
async function slowReader(until: number): Promise<void> {
  while (Date.now() < until) {
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.on("error", () => resolve());
      socket.on("close", () => resolve());
      socket.write("GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      let got = 0;
      socket.on("data", (d: Buffer) => {
        got += d.length;
        socket.pause();
        if (Date.now() > until) socket.destroy();
        else setTimeout(() => socket.resume(), got > 64 << 10 ? 200 : 0);
      });
    });
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
function request(method: string, target: string, headers: Record<string, string> = {}, body?: string): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: target, agent, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve());
    });
    req.on("error", () => resolve());
    req.end(body);
  });
}

async function soakClient(until: number, id: number): Promise<void> {
  let i = 0;
  while (Date.now() < until) {
    i++;
    switch (i % 6) {
      case 0:
        await request("GET", "/small.txt");
        break;
      case 1:
        await request("GET", "/big.bin", { Range: `bytes=${i % 1000}-${(i % 1000) + 4095}` });
        break;
      case 2:
        await request("GET", "/dir/", { Accept: i % 2 === 0 ? "application/json" : "text/html" });
        break;
      case 3:
        await request("GET", `/missing-${i}`);
        break;
      case 4:
        await request("PUT", `/up-${id}-${i % 50}.txt`, { "Content-Length": "64" }, "u".repeat(64));
        break;
      default:
        await request("HEAD", "/small.txt");
    }
  }
}

try {
  await phase("start", async () => delay(6000), 6);
  const slow = Number(values.slow);
  await phase("slow readers", (until) => Promise.all(Array.from({ length: slow }, () => slowReader(until))), seconds);
  await phase("soak", (until) => Promise.all(Array.from({ length: 8 }, (_, id) => soakClient(until, id))), seconds);
  await phase("quiet", async () => delay(20_000), 20);
} finally {
  agent.destroy();
  server.kill("SIGTERM");
  fs.rmSync(root, { recursive: true, force: true });
}
