// HTTP/2 over TLS (RFC 9113 §3.2): every TLS listener offers ALPN "h2" before http/1.1, without --h2c;
// curl, nghttp and Python's h2 negotiate it and are served files and the proxy; a client that offers
// only http/1.1 still gets HTTP/1.1; the same on the node:net transport (--transport net).

import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import tls from "node:tls";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { type CertFiles, CertificateFactory, skipWithoutOpenssl } from "../helpers/certificates.ts";
import { makeSite, type RunningServer, startServer } from "../helpers/server.ts";

const run = promisify(execFile);
const CI = process.env.CI !== undefined && process.env.CI !== "";
const skip = skipWithoutOpenssl();
const curl = /HTTP2/.test(spawnSync("curl", ["--version"], { encoding: "utf8" }).stdout ?? "");
const nghttp = spawnSync("nghttp", ["--version"]).status === 0;
const certs = new CertificateFactory();
const BIG = Buffer.alloc(1536 * 1024, "tls!");
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>h2</title><link rel="stylesheet" href="s.css">
</head><body><p id="p">page</p><script src="s.js"></script></body></html>
`;
const site = makeSite({
  "a.txt": "hello h2 over tls\n",
  "big.bin": BIG,
  "index.html": PAGE,
  "s.css": "p { color: green }\n",
  "s.js": 'document.getElementById("p").textContent = "script ran";\n',
});
const CHROMIUM = "/usr/bin/chromium";
const hasChromium = fs.existsSync(CHROMIUM);
// Browsers speak HTTP/2 over TLS only: the page, its stylesheet and script all come over h2.
interface Entry {
  readonly name: string;
  readonly nextHopProtocol: string;
}
declare const performance: { getEntries(): Entry[] };
declare const document: { getElementById(id: string): { textContent: string | null } | null };
let pair: CertFiles;
let backend: http.Server;
const running: RunningServer[] = [];

before(async () => {
  if (skip !== false) return;
  pair = certs.selfSigned(["localhost"], "ec");
  backend = http.createServer((req, res) => res.end(`proxied ${req.url} via ${req.headers.via}`));
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
});

after(async () => {
  for (const s of running) await s.stop();
  backend?.close();
  certs.remove();
});

async function serve(extra: string[] = []): Promise<RunningServer> {
  const upstream = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const args = [
    "-q",
    "-t",
    "1",
    "--root",
    site,
    "--proxy",
    `/api=${upstream}/`,
    "--cert",
    pair.cert,
    "--key",
    pair.key,
  ];
  const server = await startServer({ args: [...args, ...extra], timeoutMs: 60_000 });
  running.push(server);
  return server;
}

function alpnOf(port: number, offered: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      rejectUnauthorized: false,
      ALPNProtocols: offered,
    });
    socket.once("secureConnect", () => {
      resolve(String(socket.alpnProtocol));
      socket.destroy();
    });
    socket.once("error", reject);
  });
}

for (const transport of ["default", "net"] as const) {
  const extra = transport === "net" ? ["--transport", "net"] : [];
  test(`ALPN: h2 is chosen when offered, http/1.1 otherwise (${transport} transport)`, { skip }, async () => {
    const server = await serve(extra);
    assert.equal(await alpnOf(server.port, ["h2", "http/1.1"]), "h2");
    assert.equal(await alpnOf(server.port, ["http/1.1"]), "http/1.1");
  });

  test(`curl --http2 over https: files, a large file and the proxy (${transport} transport)`, {
    skip: skip !== false ? skip : !curl && !CI,
  }, async () => {
    const server = await serve(extra);
    const url = `https://localhost:${server.port}`;
    const resolve = ["--resolve", `localhost:${server.port}:127.0.0.1`, "-k", "-s"];
    const small = await run("curl", [...resolve, "--http2", "-i", `${url}/a.txt`]);
    assert.match(small.stdout, /^HTTP\/2 200 \r\n/);
    assert.ok(small.stdout.endsWith("\r\n\r\nhello h2 over tls\n"));
    const big = await run("curl", [
      ...resolve,
      "--http2",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{size_download} %{http_version}",
      `${url}/big.bin`,
    ]);
    assert.equal(big.stdout, `200 ${BIG.length} 2`);
    const proxied = await run("curl", [...resolve, "--http2", `${url}/api/x`]);
    assert.equal(proxied.stdout, "proxied /x via 2 portico");
    const h1 = await run("curl", [...resolve, "--http1.1", "-o", "/dev/null", "-w", "%{http_version}", `${url}/a.txt`]);
    assert.equal(h1.stdout, "1.1");
  });
}

test("nghttp over TLS: several streams on one connection, each complete", {
  skip: skip !== false ? skip : !nghttp && !CI,
}, async () => {
  const server = await serve();
  const url = `https://127.0.0.1:${server.port}`;
  const { stdout } = await run("nghttp", ["-nv", `${url}/a.txt`, `${url}/big.bin`, `${url}/api/y`, `${url}/missing`]);
  assert.match(stdout, /negotiated protocol: h2/);
  assert.equal(stdout.match(/recv \(stream_id=\d+\) :status: 200/g)?.length, 3);
  assert.match(stdout, /recv \(stream_id=\d+\) :status: 404/);
});

test("Chromium loads a page and its resources over h2", {
  skip: skip !== false ? skip : !hasChromium && !CI,
}, async () => {
  const server = await serve();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
  });
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const response = await page.goto(`https://localhost:${server.port}/`, { timeout: 60_000 });
    assert.equal(response?.status(), 200);
    assert.equal(await page.evaluate(() => document.getElementById("p")?.textContent), "script ran");
    const entries = await page.evaluate(() => performance.getEntries().map((e) => [e.name, e.nextHopProtocol]));
    const protocols = new Map(
      entries.filter(([name]) => name!.startsWith("https:")).map(([n, p]) => [new URL(n!).pathname, p]),
    );
    assert.deepEqual([protocols.get("/"), protocols.get("/s.css"), protocols.get("/s.js")], ["h2", "h2", "h2"]);
  } finally {
    await browser.close();
  }
});

test("TLSWrap takes one write at a time: pipelined HTTP/1.1 with large answers all arrive, the server lives", {
  skip,
}, async () => {
  const server = await serve();
  const requests = `${"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n".repeat(20)}${"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".repeat(3)}GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
  const received = await new Promise<Buffer>((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port: server.port,
      rejectUnauthorized: false,
      ALPNProtocols: ["http/1.1"],
    });
    const chunks: Buffer[] = [];
    socket.once("secureConnect", () => socket.write(requests));
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.on("error", reject);
  });
  const text = received.toString("latin1");
  // Responses after a large body follow its last byte, not a line start: counted anywhere.
  assert.equal(text.match(/HTTP\/1\.1 200 OK\r\n/g)?.length, 24);
  assert.ok(received.length > 3 * BIG.length);
  assert.equal(await alpnOf(server.port, ["h2"]), "h2", "the server still answers");
});
