// A fixed number of new TLS connections, as wrk -H 'Connection: close' makes them: full handshakes (no
// session offered, no ALPN, as wrk), one GET with Connection: close each, read to the end; `connections`
// at once. For bench/instructions.ts --new-conn, which needs an exact count (wrk runs for a time).
// The groups offered are the system OpenSSL 3.0's that wrk links to (key share X25519): Node's own
// OpenSSL 3.5 would offer X25519MLKEM768 first, which nginx's 3.0 cannot pick and Portico's would, at
// ~450k more instructions per handshake (ML-KEM), a difference wrk never sees.
// Usage: node bench/tls/new-conn-client.ts https://127.0.0.1:PORT/path COUNT CONNECTIONS

import type { Buffer } from "node:buffer";
import tls from "node:tls";

const [url = "", countText = "1000", connectionsText = "50"] = process.argv.slice(2);
const target = new URL(url);
const port = Number(target.port);
const request = `GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`;
const GROUPS = "X25519:P-256:X448:P-521:P-384";
let left = Number(countText);
let ok = 0;
let failed = 0;

function once(): Promise<void> {
  return new Promise((resolve) => {
    let first = true;
    const socket = tls.connect({ host: target.hostname, port, rejectUnauthorized: false, ecdhCurve: GROUPS });
    socket.on("secureConnect", () => {
      if (socket.isSessionReused()) failed++;
      socket.write(request);
    });
    socket.on("data", (chunk: Buffer) => {
      if (first) {
        if (chunk.subarray(0, 12).toString("latin1").startsWith("HTTP/1.1 200")) ok++;
        else failed++;
      }
      first = false;
    });
    socket.on("error", () => {
      failed++;
    });
    socket.on("close", () => resolve());
  });
}

async function loop(): Promise<void> {
  while (left > 0) {
    left--;
    await once();
  }
}

await Promise.all(Array.from({ length: Number(connectionsText) }, loop));
process.stdout.write(`${ok} succeeded, ${failed} failed\n`);
