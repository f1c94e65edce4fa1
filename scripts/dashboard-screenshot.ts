// Retakes docs/dashboard.png, the dashboard under load as docs/operations.md shows it:
// `node_modules/.bin/node scripts/dashboard-screenshot.ts [--out FILE] [--seconds S]` (Node 24; wants
// Debian's /usr/bin/chromium, driven by playwright-core as the browser tests drive it). Starts Portico on a
// temporary configuration (two sites, one of them HTTPS from the local CA, a proxied route whose second
// upstream is down), loads it from this process (files, 404s, proxied requests, HTTPS with new and
// reused connections) while the page is open, and writes a screenshot of the whole page. Not run by
// `npm test`; not a benchmark (the load is modest and its figures mean nothing).

import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const { values: opts } = parseArgs({
  options: {
    out: { type: "string", default: new URL("../docs/dashboard.png", import.meta.url).pathname },
    seconds: { type: "string", default: "45" },
  },
});
const seconds = Number(opts.seconds);
const CLI = new URL("../src/cli.ts", import.meta.url).pathname;
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** Concurrent request loops: enough for busy charts, little enough for a shared machine. */
const LOOPS = 6;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function config(web: number, secure: number, backend: number, dead: number): string {
  return `threads = 2
status_path = "/_portico"
data_dir = "state"

[log]
quiet = true

[[site]]
hosts = ["www.test"]
listen = ["127.0.0.1:${web}"]
root = "www"

  [[site.route]]
  path = "/api/"
  proxy = { upstreams = ["http://127.0.0.1:${backend}", "http://127.0.0.1:${dead}"], lb = "round-robin" }

  [[site.route]]
  path = "/"

[[site]]
hosts = ["dev.test"]
listen = ["127.0.0.1:${secure}"]
root = "dev"
tls = "internal"
`;
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`portico exited\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      http
        .get(url, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        })
        .on("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`portico did not answer ${url}\n${log()}`);
}

function get(agent: http.Agent, port: number, host: string, target: string): Promise<void> {
  return new Promise((resolve) => {
    http
      .get({ agent, host: "127.0.0.1", port, path: target, headers: { host } }, (res) => {
        res.resume();
        res.on("end", resolve);
      })
      .on("error", () => resolve());
  });
}

function getTls(agent: https.Agent, port: number, target: string): Promise<void> {
  return new Promise((resolve) => {
    https
      .get(
        { agent, host: "127.0.0.1", port, path: target, servername: "dev.test", rejectUnauthorized: false },
        (res) => {
          res.resume();
          res.on("end", resolve);
        },
      )
      .on("error", () => resolve());
  });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-dashboard-"));
  fs.mkdirSync(path.join(dir, "www"));
  fs.mkdirSync(path.join(dir, "dev"));
  fs.writeFileSync(path.join(dir, "www", "index.html"), "<!doctype html><title>www</title><p>hello</p>\n");
  fs.writeFileSync(path.join(dir, "www", "big.bin"), Buffer.alloc(256 * 1024, 7));
  fs.writeFileSync(path.join(dir, "dev", "index.html"), "<!doctype html><title>dev</title><p>over TLS</p>\n");

  // The live upstream answers after 1–4 ms; the dead one is a port nothing listens on.
  const backend = http.createServer((_req, res) => {
    setTimeout(() => res.end('{"ok":true}\n'), 1 + Math.floor(Math.random() * 4));
  });
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", r));
  const backendPort = (backend.address() as net.AddressInfo).port;
  const [web, secure, dead] = [await freePort(), await freePort(), await freePort()];
  const file = path.join(dir, "portico.toml");
  fs.writeFileSync(file, config(web, secure, backendPort, dead));

  const child = spawn(process.execPath, [CLI, "-c", file], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (output += d));
  const status = `http://127.0.0.1:${web}/_portico`;
  let browser: Awaited<ReturnType<typeof chromium.launch>> | null = null;
  let running = true;
  try {
    await waitReady(status, child, () => output);
    const plain = new http.Agent({ keepAlive: true, maxSockets: LOOPS });
    const secureAgent = new https.Agent({ keepAlive: true, maxSockets: 2 });
    const loops: Promise<void>[] = [];
    for (let l = 0; l < LOOPS; l++) {
      loops.push(
        (async () => {
          for (let i = 0; running; i++) {
            const pick = (i + l) % 20;
            if (pick < 9) await get(plain, web, "www.test", "/index.html");
            else if (pick < 13) await get(plain, web, "www.test", `/api/items/${i}`);
            else if (pick < 15) await get(plain, web, "www.test", `/missing/${i}`);
            else if (pick < 16) await get(plain, web, "www.test", "/big.bin");
            else if (pick < 19) await getTls(secureAgent, secure, "/");
            // A fresh TLS connection now and then: full handshakes beside the reused ones.
            else await getTls(new https.Agent({ keepAlive: false }), secure, "/");
            // A pause each round keeps the load steady and the machine shareable.
            if (i % 4 === 0) await sleep(1);
          }
        })(),
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(status);
    await sleep(seconds * 1000);
    await page.screenshot({ path: opts.out, fullPage: true });
    running = false;
    await Promise.all(loops);
    plain.destroy();
    secureAgent.destroy();
    process.stdout.write(`wrote ${opts.out} (${fs.statSync(opts.out).size} bytes)\n`);
  } finally {
    running = false;
    await browser?.close();
    child.kill("SIGTERM");
    backend.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
