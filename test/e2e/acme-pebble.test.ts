// ACME end to end against Let's Encrypt's test CA (Debian's pebble, its mock DNS answering every name
// with 127.0.0.1): a certificate by HTTP-01 on --http-port and by TLS-ALPN-01 on the TLS port, served
// verified by pebble's root; a restart serves the stored certificate without a new order; a CA whose
// validation fails the first order is retried with back-off until it succeeds; short-lived
// certificates are renewed. Skipped with the reason where pebble is missing, except in CI.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { freePort, type Pebble, skipWithoutPebble, startPebble } from "../helpers/pebble.ts";
import { makeSite, type RunningServer, startServer } from "../helpers/server.ts";
import { tlsGet, waitForOutput } from "../helpers/tls-client.ts";

const skip = skipWithoutPebble();
let pebble: Pebble;
let httpPort = 0;
let tlsPort = 0;
let site = "";
const running: RunningServer[] = [];
const dirs: string[] = [];

function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-acme-"));
  dirs.push(dir);
  return dir;
}

async function portico(
  args: string[],
  options: { http?: boolean; env?: Record<string, string> } = {},
): Promise<RunningServer> {
  for (const [k, v] of Object.entries(options.env ?? {})) process.env[k] = v;
  try {
    const server = await startServer({
      timeoutMs: 60_000,
      port: tlsPort,
      args: [
        "-t",
        "2",
        "-q",
        "--root",
        site,
        "--acme",
        "--acme-ca",
        pebble.directory,
        "--acme-ca-root",
        pebble.caFile,
        ...(options.http === true ? ["--http-port", String(httpPort)] : []),
        ...args,
      ],
    });
    running.push(server);
    return server;
  } finally {
    for (const k of Object.keys(options.env ?? {})) delete process.env[k];
  }
}

async function stop(server: RunningServer): Promise<void> {
  await server.stop();
  running.splice(running.indexOf(server), 1);
}

before(async () => {
  if (skip !== false) return;
  httpPort = await freePort();
  tlsPort = await freePort();
  pebble = await startPebble({ httpPort, tlsPort });
  site = makeSite({ "index.html": "hello over acme\n" });
});

after(async () => {
  for (const s of running) await s.stop();
  await pebble?.stop();
  for (const d of [...dirs, site]) if (d !== "") fs.rmSync(d, { recursive: true, force: true });
});

test("HTTP-01: a certificate from the CA, served verified; a restart serves the stored one at once", {
  skip,
}, async () => {
  const data = dataDir();
  const server = await portico(["--domain", "a.test", "--data-dir", data], { http: true });
  await waitForOutput(server, /portico: acme: certificate for a\.test obtained/);
  const root = await pebble.issuerRoot();
  const first = await tlsGet(tlsPort, { servername: "a.test", ca: root });
  assert.equal(first.authorized, true, first.authorizationError);
  assert.equal(first.body, "hello over acme\n");
  assert.match(first.altNames, /DNS:a\.test/);
  // Keys are private to the user; the account and the certificate are in the data directory.
  const certDir = fs.readdirSync(path.join(data, "certificates"))[0]!;
  const keyFile = path.join(data, "certificates", certDir, "a.test", "key.pem");
  assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.join(data, "acme", certDir, "account.key")).mode & 0o777, 0o600);
  await stop(server);

  const again = await portico(["--domain", "a.test", "--data-dir", data], { http: true });
  const served = await tlsGet(tlsPort, { servername: "a.test", ca: root });
  assert.equal(served.authorized, true);
  assert.equal(served.fingerprint, first.fingerprint);
  assert.doesNotMatch(again.stdout(), /obtained|could not/);
  await stop(again);
});

test("TLS-ALPN-01: without a plain listener the TLS port answers the validation", { skip }, async () => {
  const server = await portico(["--domain", "b.test", "--data-dir", dataDir()]);
  await waitForOutput(server, /portico: acme: certificate for b\.test obtained/);
  const served = await tlsGet(tlsPort, { servername: "b.test", ca: await pebble.issuerRoot() });
  assert.equal(served.authorized, true, served.authorizationError);
  assert.equal(served.alpn, "http/1.1");
  assert.equal(served.body, "hello over acme\n");
  await stop(server);
});

test("a CA whose validation fails the first order: one line per failure, back-off, then the certificate", {
  skip,
}, async () => {
  // The mock DNS sends the validation to 127.0.0.2, where nothing listens (Portico binds 127.0.0.1).
  await pebble.setAddress("c.test", "127.0.0.2");
  const server = await portico(["--domain", "c.test", "--data-dir", dataDir(), "--host", "127.0.0.1"], {
    env: { PORTICO_ACME_RETRY_MS: "1000" },
  });
  const line = await waitForOutput(server, /portico: acme: could not get a certificate for c\.test: [^\n]*\n/);
  assert.match(line, /tls-alpn-01 validation of c\.test failed.*; trying again in \d+s\n$/);
  await pebble.setAddress("c.test", null);
  await waitForOutput(server, /portico: acme: certificate for c\.test obtained/);
  const served = await tlsGet(tlsPort, { servername: "c.test", ca: await pebble.issuerRoot() });
  assert.equal(served.authorized, true, served.authorizationError);
  await stop(server);
});

test("short-lived certificates are renewed before they expire, and the new one is served", { skip }, async () => {
  // A second CA issuing 20-second certificates: renewal is due when a third of that is left.
  const shortHttp = await freePort();
  const shortTls = await freePort();
  const short = await startPebble({ httpPort: shortHttp, tlsPort: shortTls, validitySeconds: 20 });
  try {
    const server = await startServer({
      timeoutMs: 60_000,
      port: shortTls,
      args: [
        "-t",
        "2",
        "-q",
        "--root",
        site,
        "--acme",
        "--acme-ca",
        short.directory,
        "--acme-ca-root",
        short.caFile,
        "--domain",
        "d.test",
        "--data-dir",
        dataDir(),
        "--http-port",
        String(shortHttp),
      ],
    });
    running.push(server);
    await waitForOutput(server, /certificate for d\.test obtained/);
    const root = await short.issuerRoot();
    const first = await tlsGet(shortTls, { servername: "d.test", ca: root });
    await waitForOutput(server, /certificate for d\.test obtained[\s\S]*certificate for d\.test obtained/);
    const renewed = await tlsGet(shortTls, { servername: "d.test", ca: root });
    assert.equal(renewed.authorized, true, renewed.authorizationError);
    assert.notEqual(renewed.fingerprint, first.fingerprint);
    await stop(server);
  } finally {
    await short.stop();
  }
});

test("two processes sharing the data directory order a name once, and both serve it", { skip }, async () => {
  const data = dataDir();
  // One process on the ports the CA validates, one elsewhere: whichever orders, the one the CA
  // reaches answers HTTP-01 (from the data directory when the other one ordered).
  // The one elsewhere starts first, so it usually takes the lock and orders; should the CA try before
  // the other one listens, the order fails and is retried a second later.
  process.env.PORTICO_ACME_RETRY_MS = "1000";
  const elsewhere = await startServer({
    timeoutMs: 60_000,
    args: [
      "-t",
      "1",
      "-q",
      "--root",
      site,
      "--acme",
      "--acme-ca",
      pebble.directory,
      "--acme-ca-root",
      pebble.caFile,
      "--domain",
      "e.test",
      "--data-dir",
      data,
      "--http-port",
      "0",
    ],
  });
  running.push(elsewhere);
  const a = await portico(["--domain", "e.test", "--data-dir", data], { http: true });
  delete process.env.PORTICO_ACME_RETRY_MS;
  const root = await pebble.issuerRoot();
  const served = async (server: RunningServer): Promise<string> => {
    for (;;) {
      const answer = await tlsGet(server.port, { servername: "e.test", ca: root });
      if (answer.authorized) return answer.fingerprint;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const [fromA, fromB] = await Promise.all([served(a), served(elsewhere)]);
  assert.equal(fromA, fromB);
  const obtained = (a.stdout() + elsewhere.stdout()).match(/certificate for e\.test obtained/g) ?? [];
  assert.equal(obtained.length, 1);
  await stop(elsewhere);
  await stop(a);
});
