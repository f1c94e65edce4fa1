// HTTPS from certificate files, end to end: the certificate chosen by SNI (exact, wildcard, none),
// ECDSA or RSA for one name by what the client can verify, a chain sent whole, TLS 1.2/1.3 only,
// ALPN, sessions resumed on any of two threads, SIGHUP re-reading the files (a bad file keeps the
// running ones), one-line errors naming the file, a plain request on the TLS port, the redirecting
// plain listener, and local HTTPS from --tls internal.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import tls from "node:tls";
import { type CertFiles, CertificateFactory, skipWithoutOpenssl } from "../helpers/certificates.ts";
import { makeSite, type RunningServer, runCli, startServer } from "../helpers/server.ts";
import { tlsGet, waitForOutput } from "../helpers/tls-client.ts";

const skip = skipWithoutOpenssl();
const certs = new CertificateFactory();
let ec: CertFiles;
let rsa: CertFiles;
let other: CertFiles;
let chain: CertFiles & { root: string };
let site = "";
const running: RunningServer[] = [];

before(() => {
  if (skip !== false) return;
  ec = certs.selfSigned(["localhost", "*.wild.test"], "ec");
  rsa = certs.selfSigned(["localhost"], "rsa");
  other = certs.selfSigned(["other.test"], "ec");
  chain = certs.chain("chain.test");
  site = makeSite({ "index.html": "hello over tls\n" });
});

after(async () => {
  for (const s of running) await s.stop();
  certs.remove();
  fs.rmSync(site, { recursive: true, force: true });
});

async function serve(args: string[]): Promise<RunningServer> {
  // Generous: a loaded machine can take long to start two threads and read the certificates.
  const server = await startServer({ args: ["-q", "--root", site, ...args], timeoutMs: 60_000 });
  running.push(server);
  return server;
}

function pairs(...list: CertFiles[]): string[] {
  return list.flatMap((c) => ["--cert", c.cert, "--key", c.key]);
}

function pem(file: string): string {
  return fs.readFileSync(file, "utf8");
}

test("SNI picks the certificate naming the host: exact, then wildcard; no SNI or no match gets the first pair", {
  skip,
}, async () => {
  const server = await serve(["-t", "1", ...pairs(ec, other, chain)]);
  const exact = await tlsGet(server.port, { servername: "other.test", ca: pem(other.cert) });
  assert.equal(exact.authorized, true, exact.authorizationError);
  assert.equal(exact.body, "hello over tls\n");
  const wildcard = await tlsGet(server.port, { servername: "a.wild.test", ca: pem(ec.cert) });
  assert.equal(wildcard.authorized, true, wildcard.authorizationError);
  // A wildcard covers one label only (RFC 6125 §6.4.3): deeper names get the first pair by default.
  const deeper = await tlsGet(server.port, { servername: "a.b.wild.test" });
  assert.match(deeper.altNames, /DNS:localhost/);
  const unknown = await tlsGet(server.port, { servername: "nobody.test" });
  assert.equal(unknown.fingerprint, wildcard.fingerprint);
  const none = await tlsGet(server.port);
  assert.equal(none.fingerprint, wildcard.fingerprint);
  // The chain file is sent whole: the client holds only the root.
  const chained = await tlsGet(server.port, { servername: "chain.test", ca: pem(chain.root) });
  assert.equal(chained.authorized, true, chained.authorizationError);
});

test("ECDSA and RSA certificates for one name: the client's signature algorithms choose", { skip }, async () => {
  const server = await serve(["-t", "1", ...pairs(ec, rsa)]);
  const modern = await tlsGet(server.port, { servername: "localhost" });
  assert.equal(modern.keyType, "ec");
  const rsaOnly = await tlsGet(server.port, {
    servername: "localhost",
    sigalgs: "rsa_pss_rsae_sha256:rsa_pkcs1_sha256",
  });
  assert.equal(rsaOnly.keyType, "rsa");
  const tls12Rsa = await tlsGet(server.port, {
    servername: "localhost",
    maxVersion: "TLSv1.2",
    ciphers: "ECDHE-RSA-AES128-GCM-SHA256",
  });
  assert.equal(tls12Rsa.keyType, "rsa");
  assert.equal(tls12Rsa.protocol, "TLSv1.2");
});

test("TLS 1.3 and 1.2 only, ALPN http/1.1", { skip }, async () => {
  const server = await serve(["-t", "1", ...pairs(ec)]);
  const answer = await tlsGet(server.port, { servername: "localhost" });
  assert.equal(answer.protocol, "TLSv1.3");
  assert.equal(answer.alpn, "http/1.1");
  assert.equal(answer.status, 200);
  await assert.rejects(
    tlsGet(server.port, {
      servername: "localhost",
      minVersion: "TLSv1.1",
      maxVersion: "TLSv1.1",
      ciphers: "DEFAULT@SECLEVEL=0",
    }),
    /protocol version|unsupported protocol|no protocols available/i,
  );
});

test("a session resumes on whichever of two threads the next connection lands (shared ticket keys)", {
  skip,
}, async () => {
  const server = await serve(["-t", "2", ...pairs(ec)]);
  const first = await tlsGet(server.port, { servername: "localhost" });
  assert.equal(first.reused, false);
  assert.ok(first.session !== undefined, "the server issued a session ticket");
  for (let i = 0; i < 12; i++) {
    const again = await tlsGet(server.port, { servername: "localhost", session: first.session });
    assert.equal(again.reused, true, `connection ${i} resumed`);
    assert.equal(again.status, 200);
  }
  // TLS 1.2 tickets too.
  const old = await tlsGet(server.port, { servername: "localhost", maxVersion: "TLSv1.2" });
  const resumed = await tlsGet(server.port, { servername: "localhost", maxVersion: "TLSv1.2", session: old.session });
  assert.equal(resumed.reused, true);
});

test("SIGHUP re-reads the certificate files; a bad file is one line and the running certificates stay", {
  skip,
}, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-rotate-"));
  const cert = path.join(dir, "site.crt");
  const key = path.join(dir, "site.key");
  fs.copyFileSync(ec.cert, cert);
  fs.copyFileSync(ec.key, key);
  const server = await serve(["-t", "2", "--cert", cert, "--key", key]);
  const before = await tlsGet(server.port, { servername: "localhost" });
  fs.copyFileSync(rsa.cert, cert);
  fs.copyFileSync(rsa.key, key);
  server.child.kill("SIGHUP");
  await waitForOutput(server, /reloaded the configuration/);
  const after = await tlsGet(server.port, { servername: "localhost" });
  assert.notEqual(after.fingerprint, before.fingerprint);
  assert.equal(after.keyType, "rsa");
  // A key that belongs to another certificate: refused, and the RSA pair goes on serving.
  fs.copyFileSync(ec.key, key);
  server.child.kill("SIGHUP");
  const line = await waitForOutput(server, /portico: reload failed: [^\n]*\n/);
  assert.equal(
    line,
    `portico: reload failed: --key: ${key} does not match the certificate in ${cert}; keeping the running configuration\n`,
  );
  const still = await tlsGet(server.port, { servername: "localhost" });
  assert.equal(still.fingerprint, after.fingerprint);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("a missing, unreadable or mismatched file stops the start with one line naming it", { skip }, async () => {
  const missing = await runCli(["--cert", "/nonexistent/site.crt", "--key", ec.key, "0"]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "portico: --cert: /nonexistent/site.crt does not exist\n");
  const directory = await runCli(["--cert", ec.cert, "--key", certs.dir, "0"]);
  assert.equal(directory.stderr, `portico: --key: ${certs.dir} is a directory, not a key file\n`);
  const notPem = await runCli(["--cert", ec.key, "--key", ec.key, "0"]);
  assert.equal(notPem.stderr, `portico: --cert: ${ec.key} holds no PEM certificate\n`);
  const mismatch = await runCli(["--cert", ec.cert, "--key", rsa.key, "0"]);
  assert.equal(mismatch.stderr, `portico: --key: ${rsa.key} does not match the certificate in ${ec.cert}\n`);
  const unpaired = await runCli(["--cert", ec.cert, "0"]);
  assert.equal(unpaired.stderr, "portico: --cert and --key come in pairs (1 --cert, 0 --key)\n");
});

test("a plain HTTP request on the TLS port gets a 400 that says so, not a hang", { skip }, async () => {
  const server = await serve(["-t", "1", ...pairs(ec)]);
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(server.port, "127.0.0.1", () =>
      socket.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    );
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (data += d));
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
  });
  assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(answer, /Connection: close\r\n/);
  assert.match(answer, /this port speaks HTTPS; the request was sent as plain HTTP\n$/);
});

test("--http-port redirects to https with 308, same host, path and query, naming the TLS port", { skip }, async () => {
  const server = await serve(["-t", "1", ...pairs(ec), "--http-port", "0"]);
  const httpPort = Number(/redirect from http:\/\/localhost:(\d+)\//.exec(server.stdout())?.[1]);
  assert.ok(httpPort > 0, server.stdout());
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(httpPort, "127.0.0.1", () =>
      socket.write(
        "POST /a/b%20c?x=1&y=2 HTTP/1.1\r\nHost: Example.test:8080\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
      ),
    );
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (data += d));
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
  });
  assert.match(answer, /^HTTP\/1\.1 308 Permanent Redirect\r\n/);
  assert.match(answer, new RegExp(`\\r\\nLocation: https://Example\\.test:${server.port}/a/b%20c\\?x=1&y=2\\r\\n`));
});

test("--tls internal: a local CA's certificate for localhost and 127.0.0.1; portico trust only prints", {
  skip,
}, async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "portico-internal-"));
  const trustBefore = await runCli(["trust", "--data-dir", data]);
  assert.equal(trustBefore.code, 0);
  assert.match(trustBefore.stdout, /does not exist yet/);
  assert.deepEqual(fs.readdirSync(data), []);
  const server = await serve(["-t", "2", "--tls", "internal", "--domain", "app.test", "--data-dir", data]);
  const root = path.join(data, "pki", "root.crt");
  assert.match(server.stdout(), new RegExp(`local CA root: ${root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  assert.equal(fs.statSync(path.join(data, "pki", "root.key")).mode & 0o777, 0o600);
  for (const servername of ["localhost", "app.test"]) {
    const answer = await tlsGet(server.port, { servername, ca: pem(root) });
    assert.equal(answer.authorized, true, `${servername}: ${answer.authorizationError}`);
    assert.equal(answer.body, "hello over tls\n");
  }
  // By address: no SNI, and the certificate names 127.0.0.1.
  const byAddress = await tlsGet(server.port, { ca: pem(root) });
  assert.match(byAddress.altNames, /IP Address:127\.0\.0\.1/);
  const trust = await runCli(["trust", "--data-dir", data]);
  assert.match(trust.stdout, /update-ca-certificates/);
  assert.doesNotMatch(trust.stdout, /does not exist yet/);
  fs.rmSync(data, { recursive: true, force: true });
});

test("a ClientHello split across reads still gets the certificate its SNI names", { skip }, async () => {
  const server = await serve(["-t", "1", ...pairs(ec, other)]);
  // A relay that hands the server the client's first flight in two pieces, 50 ms apart.
  const relay = net.createServer((client) => {
    const upstream = net.connect(server.port, "127.0.0.1");
    let first = true;
    client.on("data", (chunk: Buffer) => {
      if (!first) {
        upstream.write(chunk);
        return;
      }
      first = false;
      client.pause();
      upstream.write(chunk.subarray(0, 40));
      setTimeout(() => {
        upstream.write(chunk.subarray(40));
        client.resume();
      }, 50);
    });
    upstream.pipe(client);
    client.on("end", () => upstream.end());
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const answer = await tlsGet((relay.address() as net.AddressInfo).port, {
    servername: "other.test",
    ca: pem(other.cert),
  });
  relay.close();
  assert.equal(answer.authorized, true, answer.authorizationError);
  assert.equal(answer.body, "hello over tls\n");
});

test("a connection still in its TLS greeting across a reload is served, not reset", {
  skip,
}, async () => {
  const server = await serve(["-t", "1", ...pairs(ec)]);
  const raw = net.connect(server.port, "127.0.0.1");
  await new Promise((resolve) => raw.once("connect", resolve));
  // One thread, one listening socket, accepted in order: once a later connection is served, this one
  // has been accepted. A reload keeps the listening socket and the TLS endpoint (in place), so the
  // greeting goes on under the new configuration; the client asks to close after its answer.
  assert.equal((await tlsGet(server.port, { servername: "localhost" })).status, 200);
  server.child.kill("SIGHUP");
  await waitForOutput(server, /reloaded the configuration/);
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = tls.connect({ socket: raw, servername: "localhost", rejectUnauthorized: false }, () =>
      socket.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
    );
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (data += d));
    socket.on("close", () => resolve(data));
    socket.on("error", reject);
  });
  assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(answer, /\r\nConnection: close\r\n/);
  assert.match(answer, /hello over tls\n$/);
});

test("closing after the last response sends close_notify first, and the session resumes (openssl s_client)", {
  skip,
}, async () => {
  const server = await serve(["-t", "1", ...pairs(ec)]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-sess-"));
  const session = path.join(dir, "session.pem");
  const request = "GET / HTTP/1.0\r\n\r\n";
  const run = (extra: string[]): string =>
    spawnSync(
      "openssl",
      ["s_client", "-connect", `127.0.0.1:${server.port}`, "-servername", "localhost", "-ign_eof", "-msg", ...extra],
      {
        input: request,
        encoding: "latin1",
        timeout: 20_000,
      },
    ).stdout;
  const first = run(["-sess_out", session]);
  assert.match(first, /<<< TLS 1\.3, Alert \[length 0002\], warning close_notify/);
  assert.doesNotMatch(first, /unexpected eof/);
  assert.match(first, /hello over tls/);
  const second = run(["-sess_in", session]);
  assert.match(second, /^Reused, TLSv1\.3/m);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("ALPN: a client offering only http/1.0 is served too", { skip }, async () => {
  const server = await serve(["-t", "1", ...pairs(ec)]);
  const answer = await tlsGet(server.port, { servername: "localhost", ALPNProtocols: ["http/1.0"] });
  assert.equal(answer.alpn, "http/1.0");
  assert.equal(answer.status, 200);
});

test("--transport net serves HTTPS through node:tls alike: SNI, ALPN, sessions resumed on either thread", {
  skip,
}, async () => {
  const server = await serve(["-t", "2", "--transport", "net", ...pairs(ec, other)]);
  assert.match(server.stdout(), /transport net/);
  const named = await tlsGet(server.port, { servername: "other.test", ca: pem(other.cert) });
  assert.equal(named.authorized, true, named.authorizationError);
  assert.equal(named.alpn, "http/1.1");
  assert.equal(named.body, "hello over tls\n");
  const first = await tlsGet(server.port, { servername: "localhost", ca: pem(ec.cert) });
  assert.equal(first.authorized, true, first.authorizationError);
  assert.ok(first.session !== undefined, "the server issued a session ticket");
  for (let i = 0; i < 6; i++) {
    const again = await tlsGet(server.port, { servername: "localhost", session: first.session });
    assert.equal(again.reused, true, `connection ${i} resumed`);
  }
  const plain = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(server.port, "127.0.0.1", () => socket.end("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (data += d));
    socket.on("close", () => resolve(data));
    socket.on("error", reject);
  });
  assert.match(plain, /^HTTP\/1\.1 400 Bad Request\r\n/);
});
