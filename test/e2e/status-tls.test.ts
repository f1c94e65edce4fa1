// TLS figures of the status path against a known workload on two threads: full, resumed and failed
// handshakes counted exactly, the served certificates' expiry as Unix times (files and the local CA's),
// the exposition of a TLS + proxy server passing promtool, and the dashboard's certificate figures.

import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import tls from "node:tls";
import { type Backend, startBackend } from "../helpers/backends.ts";
import { type CertFiles, CertificateFactory, skipWithoutOpenssl } from "../helpers/certificates.ts";
import { parseExposition } from "../helpers/exposition.ts";
import { promtoolCheck, skipWithoutPromtool } from "../helpers/promtool.ts";
import { makeSite, type RunningServer, startServer } from "../helpers/server.ts";
import { tlsGet } from "../helpers/tls-client.ts";

const skip = skipWithoutOpenssl();
const certs = new CertificateFactory();
let ec: CertFiles;
let rsa: CertFiles;
let site = "";
let backend: Backend | null = null;
const running: RunningServer[] = [];

before(async () => {
  if (skip !== false) return;
  ec = certs.selfSigned(["localhost", "a.test"], "ec");
  rsa = certs.selfSigned(["localhost"], "rsa");
  site = makeSite({ "index.html": "hello over tls\n" });
  backend = await startBackend("up");
});

after(async () => {
  for (const s of running) await s.stop();
  await backend?.close();
  certs.remove();
  if (site !== "") fs.rmSync(site, { recursive: true, force: true });
});

async function serve(args: string[]): Promise<RunningServer> {
  const server = await startServer({ args: ["-q", "-t", "2", "--root", site, ...args], timeoutMs: 60_000 });
  running.push(server);
  return server;
}

/**
 * Two requests on one TLS connection, the second's body returned: by the time it is answered, this
 * connection's own handshake is stored too (the first answer left only after the counts did).
 */
function twiceOnOneConnection(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "localhost", rejectUnauthorized: false });
    let data = "";
    let asked = 0;
    const ask = (): void => {
      asked++;
      socket.write(`GET ${target} HTTP/1.1\r\nHost: localhost\r\n${asked === 2 ? "Connection: close\r\n" : ""}\r\n`);
    };
    socket.setEncoding("utf8");
    socket.on("secureConnect", ask);
    socket.on("data", (d: string) => {
      data += d;
      const head = data.indexOf("\r\n\r\n");
      const length = Number(/content-length: (\d+)/i.exec(data)?.[1] ?? -1);
      if (asked === 1 && head !== -1 && length >= 0 && data.length >= head + 4 + length) {
        data = "";
        ask();
      }
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(data.slice(data.indexOf("\r\n\r\n") + 4)));
  });
}

test("handshakes full, resumed and failed are counted exactly; certificates show their notAfter", {
  skip,
  timeout: 120_000,
}, async () => {
  const server = await serve([
    "--cert",
    ec.cert,
    "--key",
    ec.key,
    "--cert",
    rsa.cert,
    "--key",
    rsa.key,
    "--status-path",
    "/_portico",
  ]);
  const first = await tlsGet(server.port, { servername: "localhost" });
  assert.equal(first.status, 200);
  assert.ok(first.session !== undefined, "a session ticket");
  const again = await tlsGet(server.port, { servername: "localhost", session: first.session! });
  assert.equal(again.reused, true, "resumed (on whichever thread took it: the ticket keys are shared)");
  await assert.rejects(
    tlsGet(server.port, { servername: "localhost", maxVersion: "TLSv1.2", ciphers: "AES128-SHA" }),
    "no cipher in common",
  );
  const text = await twiceOnOneConnection(server.port, "/_portico/metrics");
  const m = parseExposition(text);
  // The two requests above, and the connection that asked for these figures.
  assert.equal(m.value("portico_tls_handshakes_total", { resumed: "false" }), 2);
  assert.equal(m.value("portico_tls_handshakes_total", { resumed: "true" }), 1);
  assert.equal(m.value("portico_tls_handshake_failures_total", { kind: "cipher" }), 1);
  for (const kind of ["version", "certificate", "reset", "other"])
    assert.equal(m.value("portico_tls_handshake_failures_total", { kind }), 0, kind);
  for (const [files, keyType] of [
    [ec, "ec"],
    [rsa, "rsa"],
  ] as const) {
    const notAfter = Date.parse(new X509Certificate(fs.readFileSync(files.cert)).validTo) / 1000;
    const labels = { name: "localhost", source: "file", key_type: keyType };
    assert.equal(m.value("portico_tls_certificate_not_after_timestamp_seconds", labels), notAfter);
  }

  const stats = JSON.parse(await twiceOnOneConnection(server.port, "/_portico/stats")) as {
    tls: {
      handshakes: { full: number; resumed: number };
      certificates: Array<{ name: string; names: string[]; source: string; expiresInSeconds: number }>;
    };
  };
  assert.deepEqual(stats.tls.handshakes, { full: 3, resumed: 1 });
  assert.deepEqual(
    stats.tls.certificates.map((c) => [c.name, c.source, c.names]),
    [
      ["localhost", "file", ["localhost", "a.test"]],
      ["localhost", "file", ["localhost"]],
    ],
  );
  // openssl made them for two days.
  assert.ok(stats.tls.certificates.every((c) => c.expiresInSeconds > 86_400 && c.expiresInSeconds <= 2 * 86_400));
});

test("the local CA's certificate is shown with source internal", { skip, timeout: 120_000 }, async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "portico-ca-"));
  const server = await serve(["--tls", "internal", "--data-dir", data, "--status-path", "/_portico"]);
  const m = parseExposition(await twiceOnOneConnection(server.port, "/_portico/metrics"));
  const series = m.families.get("portico_tls_certificate_not_after_timestamp_seconds")!.series;
  assert.equal(series.length, 1);
  assert.equal(series[0]!.labels.source, "internal");
  assert.ok(series[0]!.value > Date.now() / 1000, "in the future");
  fs.rmSync(data, { recursive: true, force: true });
});

test("promtool check metrics passes on a TLS + proxy server's exposition after a known workload", {
  skip: skip || skipWithoutPromtool(),
  timeout: 120_000,
}, async () => {
  const server = await serve([
    "--cert",
    ec.cert,
    "--key",
    ec.key,
    "--proxy",
    `/api/=http://127.0.0.1:${backend!.port}`,
    "--status-path",
    "/_portico",
  ]);
  for (let i = 0; i < 3; i++) assert.equal((await tlsGet(server.port, { path: `/api/${i}` })).status, 200);
  assert.equal((await tlsGet(server.port, { path: "/" })).status, 200);
  assert.equal((await tlsGet(server.port, { path: "/nothing" })).status, 404);
  const text = await twiceOnOneConnection(server.port, "/_portico/metrics");
  const m = parseExposition(text);
  assert.equal(m.value("portico_upstream_requests_total", { upstream: `127.0.0.1:${backend!.port}` }), 3);
  for (const family of [
    "portico_route_requests_total",
    "portico_tls_handshakes_total",
    "portico_tls_certificate_not_after_timestamp_seconds",
    "portico_request_duration_seconds",
  ])
    assert.ok(m.families.has(family), family);
  const check = promtoolCheck(text);
  assert.equal(check.output, "");
  assert.equal(check.status, 0);
});
