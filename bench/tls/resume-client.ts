// A load client for resumed TLS handshakes, which wrk cannot make: `connections` loops, each opening a
// new TLS connection per request that offers the last session the server gave it, sending one GET
// with Connection: close and reading to the end. Prints its results in wrk's format (bench/lib/wrk.ts
// reads them), plus how many handshakes were resumed.
// Usage: node bench/tls/resume-client.ts https://127.0.0.1:PORT/path SECONDS CONNECTIONS

import type { Buffer } from "node:buffer";
import tls from "node:tls";

const [url = "", secondsText = "10", connectionsText = "50"] = process.argv.slice(2);
const target = new URL(url);
const port = Number(target.port);
const seconds = Number(secondsText);
const deadline = Date.now() + seconds * 1000;
const request = `GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`;
const latencies: number[] = [];
let bytes = 0;
let resumed = 0;
let non2xx = 0;
let errors = 0;

function once(session: Buffer | undefined): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const start = performance.now();
    let fresh = session;
    let first = true;
    const socket = tls.connect({
      host: target.hostname,
      port,
      rejectUnauthorized: false,
      session,
      ALPNProtocols: ["http/1.1"],
    });
    socket.on("session", (s: Buffer) => {
      fresh = s;
    });
    socket.on("secureConnect", () => {
      if (socket.isSessionReused()) resumed++;
      socket.write(request);
    });
    socket.on("data", (chunk: Buffer) => {
      if (first && !chunk.subarray(0, 12).toString("latin1").startsWith("HTTP/1.1 2")) non2xx++;
      first = false;
      bytes += chunk.length;
    });
    socket.on("error", () => {
      errors++;
    });
    socket.on("close", () => {
      latencies.push(performance.now() - start);
      resolve(fresh);
    });
  });
}

async function loop(): Promise<void> {
  let session: Buffer | undefined;
  while (Date.now() < deadline) session = await once(session);
}

await Promise.all(Array.from({ length: Number(connectionsText) }, loop));
latencies.sort((a, b) => a - b);
const pct = (p: number): string =>
  `${(latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? 0).toFixed(2)}ms`;
process.stdout.write(
  [
    `  ${latencies.length} requests in ${seconds}.00s, ${bytes} bytes read`,
    `  Resumed handshakes: ${resumed} of ${latencies.length}`,
    "  Latency Distribution",
    `     50%  ${pct(50)}`,
    `     99%  ${pct(99)}`,
    ...(non2xx > 0 ? [`  Non-2xx or 3xx responses: ${non2xx}`] : []),
    ...(errors > 0 ? [`  Socket errors: connect ${errors}, read 0, write 0, timeout 0`] : []),
    `Requests/sec: ${(latencies.length / seconds).toFixed(2)}`,
    `Transfer/sec: ${(bytes / seconds).toFixed(2)}B`,
    "",
  ].join("\n"),
);
