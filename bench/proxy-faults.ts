// `node bench/proxy-faults.ts [--requests N] [--rate R] [--kinds a,b] [--cli PATH] [--flags="…"] [--nginx]`: how many
// GETs succeed through a proxy in front of one healthy and one flaky upstream (test/helpers/
// fault-upstream.ts: with probability R, 0.5 by default, a request gets one fault kind). Portico runs
// with its defaults (only the response timeout is cut to 1 s, so silent upstreams do not make the run
// long); with --nginx, nginx 1.22's proxy_pass with its defaults (max_fails=1, proxy_next_upstream error
// timeout) and the same 1 s proxy_read_timeout runs beside it. Prints the success rate per fault kind.

import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { FAULT_KINDS, type FaultKind, startFaultUpstream } from "../test/helpers/fault-upstream.ts";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "5000" },
    rate: { type: "string", default: "0.5" },
    kinds: { type: "string", default: ["refused", ...FAULT_KINDS, "mixed"].join(",") },
    cli: { type: "string", default: path.resolve(import.meta.dirname, "../src/cli.ts") },
    concurrency: { type: "string", default: "8" },
    nginx: { type: "boolean", default: false },
    /** Extra Portico flags, space-separated (e.g. "--max-fails 0" to keep the flaky upstream in rotation). */
    flags: { type: "string", default: "" },
  },
});
const total = Number(values.requests);
const rate = Number(values.rate);
const concurrency = Number(values.concurrency);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts a proxy in front of the two upstreams; resolves with its port and a stop function. */
async function startProxy(
  kind: "portico" | "nginx",
  upstreams: readonly number[],
): Promise<{ port: number; stop: () => void }> {
  let child: ChildProcess;
  let port: number;
  if (kind === "portico") {
    child = spawn(
      process.execPath,
      [
        values.cli,
        "-q",
        "--proxy",
        upstreams.map((p) => `http://127.0.0.1:${p}`).join(","),
        "--proxy-response-timeout",
        "1s",
        ...values.flags.split(" ").filter((f) => f !== ""),
        "0",
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const m = /:(\d+)\//.exec(out);
        if (m !== null) resolve(Number(m[1]));
      });
      child.once("exit", (code) => reject(new Error(`portico exited ${code}`)));
    });
  } else {
    port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-faults-nginx-"));
    fs.writeFileSync(
      path.join(dir, "nginx.conf"),
      `daemon off; master_process on; worker_processes 2; user root; pid ${dir}/nginx.pid; error_log ${dir}/error.log crit;
events { worker_connections 4096; }
http { access_log off;
  upstream backend { ${upstreams.map((p) => `server 127.0.0.1:${p};`).join(" ")} keepalive 64; }
  server { listen 127.0.0.1:${port};
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_read_timeout 1s; } } }
`,
    );
    child = spawn("nginx", ["-p", dir, "-c", path.join(dir, "nginx.conf")], { stdio: "inherit" });
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => {
          s.destroy();
          resolve(true);
        });
        s.on("error", () => resolve(false));
      });
      if (up) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { port, stop: () => child.kill("SIGTERM") };
}

async function run(proxyKind: "portico" | "nginx", fault: string): Promise<string> {
  const healthy = await startFaultUpstream(0, []);
  const flaky =
    fault === "refused" ? null : await startFaultUpstream(rate, fault === "mixed" ? FAULT_KINDS : [fault as FaultKind]);
  // "refused": the flaky upstream is simply down (a closed port).
  const flakyPort = flaky?.port ?? (await freePort());
  const proxy = await startProxy(proxyKind, [flakyPort, healthy.port]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let ok = 0;
  let next = 0;
  const others = new Map<number, number>();
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          next++;
          const status = await new Promise<number>((resolve) => {
            const req = http.get({ host: "127.0.0.1", port: proxy.port, path: "/", agent }, (res) => {
              res.resume();
              res.on("end", () => resolve(res.statusCode ?? 0));
              res.on("error", () => resolve(0));
            });
            req.on("error", () => resolve(0));
          });
          if (status === 200) ok++;
          else others.set(status, (others.get(status) ?? 0) + 1);
        }
      }),
    );
  } finally {
    agent.destroy();
    proxy.stop();
    await healthy.close();
    await flaky?.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const failed = [...others].map(([s, n]) => `${n}×${s === 0 ? "error" : s}`).join(", ");
  const faults = flaky === null ? "all connects refused" : `${flaky.counts.faults} faults served`;
  return `${proxyKind.padEnd(8)} ${fault.padEnd(15)} ${((100 * ok) / total).toFixed(2).padStart(6)}% of ${total} GETs succeeded (${faults}; ${seconds.toFixed(1)} s)${failed === "" ? "" : `; failed: ${failed}`}`;
}

for (const fault of values.kinds.split(",")) {
  process.stdout.write(`${await run("portico", fault)}\n`);
  if (values.nginx) process.stdout.write(`${await run("nginx", fault)}\n`);
}
