// https:// upstreams end to end: requests and streamed bodies over TLS with keep-alive reuse, the
// certificate checked against the CA given with --proxy-ca and against the host name, a refused
// certificate as a clear 502, --proxy-tls-verify off, a WebSocket over TLS, and TLS health checks.

import assert from "node:assert/strict";
import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, test } from "node:test";
import { WebSocket, WebSocketServer } from "ws";
import { exchange, parseResponses, request } from "../helpers/raw.ts";
import { type RunningServer, runCli, startServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/tls");
const CA = path.join(FIXTURES, "ca.pem");

let backend: https.Server;
let port = 0;
/** TLS connections the backend accepted, and the names clients asked for (SNI). */
let connections = 0;
let resumed = 0;
const servernames: string[] = [];
const running: RunningServer[] = [];

before(async () => {
  backend = https.createServer(
    {
      key: fs.readFileSync(path.join(FIXTURES, "localhost-key.pem")),
      cert: fs.readFileSync(path.join(FIXTURES, "localhost-cert.pem")),
      keepAliveTimeout: 30_000,
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (d: Buffer) => chunks.push(d));
      req.on("end", () => {
        if (req.url === "/health") return res.writeHead(204).end();
        const body = JSON.stringify({
          method: req.method,
          url: req.url,
          host: req.headers.host,
          proto: req.headers["x-forwarded-proto"],
          body: Buffer.concat(chunks).toString(),
        });
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
        res.end(body);
      });
    },
  );
  backend.on("secureConnection", (socket) => {
    connections++;
    if (socket.isSessionReused()) resumed++;
    servernames.push(String((socket as { servername?: string | false }).servername));
  });
  const wss = new WebSocketServer({ server: backend, path: "/ws" });
  wss.on("connection", (ws) => ws.on("message", (data, binary) => ws.send(data, { binary })));
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  port = (backend.address() as AddressInfo).port;
});

after(async () => {
  for (const s of running) await s.stop();
  backend.closeAllConnections();
  await new Promise((r) => backend.close(() => r(undefined)));
});

/**
 * Every request here ends with the connection closed, so the wait for it can be generous: on a loaded
 * machine a TLS handshake with the upstream alone has taken longer than the helpers' default 1.5 s.
 */
const SLOW_OK = { timeoutMs: 15_000 };

async function proxy(args: string[]): Promise<RunningServer> {
  const server = await startServer({ args: ["-t", "1", "-q", ...args] });
  running.push(server);
  return server;
}

test("requests reach an https:// upstream over verified TLS with SNI, and one connection carries many", async () => {
  const server = await proxy(["--proxy", `https://localhost:${port}`, "--proxy-ca", CA]);
  const before = connections;
  const body = "x".repeat(200_000);
  // Two requests on one client connection, then a third on another: one upstream connection serves all.
  const { bytes } = await exchange(
    server.port,
    "GET /a?b=1 HTTP/1.1\r\nHost: front\r\n\r\nGET /second HTTP/1.1\r\nHost: front\r\nConnection: close\r\n\r\n",
    SLOW_OK,
  );
  const [first, second] = parseResponses(bytes);
  assert.equal(first?.status, 200);
  const seen = JSON.parse(first!.body.toString()) as { url: string; host: string; proto: string };
  assert.equal(seen.url, "/a?b=1");
  assert.equal(seen.host, "front");
  assert.equal(seen.proto, "http");
  assert.equal((JSON.parse(second!.body.toString()) as { url: string }).url, "/second");
  const post = await request(
    server.port,
    `POST /upload HTTP/1.1\r\nHost: front\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    SLOW_OK,
  );
  assert.equal(post.status, 200);
  assert.equal((JSON.parse(post.body.toString()) as { body: string }).body.length, body.length);
  assert.equal(connections - before, 1, "one TLS connection served all three requests");
  assert.equal(servernames.at(-1), "localhost");
});

test("an upstream certificate from an unknown CA is refused with a 502 that says why", async () => {
  const server = await proxy(["--proxy", `https://localhost:${port}`, "--max-fails", "0", "--proxy-error-detail"]);
  const res = await request(server.port, "GET / HTTP/1.1\r\nHost: front\r\nConnection: close\r\n\r\n", SLOW_OK);
  assert.equal(res.status, 502);
  assert.match(res.body.toString(), /Could not connect to upstream localhost:\d+ \(.*(CERT|certificate)/i);
});

test("a certificate that does not name the host is refused, even from a trusted CA", async () => {
  // The test certificate names localhost only; 127.0.0.1 is the same server under another name.
  const server = await proxy([
    "--proxy",
    `https://127.0.0.1:${port}`,
    "--proxy-ca",
    CA,
    "--max-fails",
    "0",
    "--proxy-error-detail",
  ]);
  const res = await request(server.port, "GET / HTTP/1.1\r\nHost: front\r\nConnection: close\r\n\r\n", SLOW_OK);
  assert.equal(res.status, 502);
  assert.match(res.body.toString(), /ERR_TLS_CERT_ALTNAME_INVALID/);
});

test("--proxy-tls-verify off accepts any certificate", async () => {
  const server = await proxy(["--proxy", `https://127.0.0.1:${port}`, "--proxy-tls-verify", "off"]);
  const res = await request(server.port, "GET /insecure HTTP/1.1\r\nHost: front\r\nConnection: close\r\n\r\n", SLOW_OK);
  assert.equal(res.status, 200);
  assert.equal((JSON.parse(res.body.toString()) as { url: string }).url, "/insecure");
});

test("a WebSocket is tunnelled to an https:// upstream", async () => {
  const server = await proxy(["--proxy", `https://localhost:${port}`, "--proxy-ca", CA]);
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const echoed = new Promise<string>((resolve) => ws.once("message", (data) => resolve(String(data))));
  ws.send("over tls");
  assert.equal(await echoed, "over tls");
  ws.close();
});

test("active health checks probe an https:// upstream over TLS, resuming the proxy's TLS session", async () => {
  const server = await proxy([
    "--proxy",
    `https://localhost:${port}`,
    "--proxy-ca",
    CA,
    "--health-path",
    "/health",
    "--health-interval",
    "50ms",
    "--health-status",
    "204",
  ]);
  // A proxied request first: its connection leaves a session for later connections to resume.
  assert.equal(
    (await request(server.port, "GET /first HTTP/1.1\r\nHost: front\r\nConnection: close\r\n\r\n", SLOW_OK)).status,
    200,
  );
  const before = connections;
  const resumedBefore = resumed;
  // Every probe is its own TLS connection (Connection: close); they passed, so the upstream serves. On a
  // loaded machine the 50 ms interval stretches: wait for the probes rather than a fixed time.
  await waitFor(() => connections - before >= 2 && resumed > resumedBefore, "two probes, resumed", {
    timeoutMs: 30_000,
  });
  assert.ok(connections - before >= 2, `probes made ${connections - before} TLS connections`);
  assert.ok(resumed > resumedBefore, "probes resumed the session instead of a full handshake");
  const res = await request(
    server.port,
    "GET /after-checks HTTP/1.1\r\nHost: front\r\nConnection: close\r\n\r\n",
    SLOW_OK,
  );
  assert.equal(res.status, 200);
});

test("bad TLS flags stop the start with a message naming the flag", async () => {
  const missing = await runCli(["--proxy", "https://localhost:1", "--proxy-ca", "/nonexistent/ca.pem", "0"]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /--proxy-ca: \/nonexistent\/ca\.pem does not exist/);
  const notPem = await runCli(["--proxy", "https://localhost:1", "--proxy-ca", path.join(FIXTURES, "README.md"), "0"]);
  assert.notEqual(notPem.code, 0);
  assert.match(notPem.stderr, /--proxy-ca: .* holds no PEM certificate/);
  const verify = await runCli(["--proxy", "https://localhost:1", "--proxy-tls-verify", "maybe", "0"]);
  assert.notEqual(verify.code, 0);
  assert.match(verify.stderr, /--proxy-tls-verify/);
  const scheme = await runCli(["--proxy", "ftp://localhost:1", "0"]);
  assert.notEqual(scheme.code, 0);
  assert.match(scheme.stderr, /--proxy: expected an http:\/\/ or https:\/\/ URL/);
});
