// HTTPS from a configuration file, end to end with real certificates: sites with `tls = { cert, key }`
// sharing one listener, each served its own certificate by SNI (the first pair without SNI), a plain
// listener beside them, `http_port` redirecting to HTTPS, SIGHUP re-reading the certificate files (a bad
// one is one line and the running certificates stay); `tls = "internal"` served by the local CA under
// `data_dir`; and `tls = "acme"` certified by pebble (skipped with the reason where it is missing).

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { CertificateFactory, skipWithoutOpenssl } from "../helpers/certificates.ts";
import { freePort, skipWithoutPebble, startPebble } from "../helpers/pebble.ts";
import { exchange, parseResponses } from "../helpers/raw.ts";
import { runCli } from "../helpers/server.ts";
import { type SiteServer, startSites } from "../helpers/site-server.ts";
import { tlsGet } from "../helpers/tls-client.ts";

const skip = skipWithoutOpenssl();
const certs = skip === false ? new CertificateFactory() : null;
const servers: SiteServer[] = [];
const dirs: string[] = [];

after(async () => {
  for (const s of servers) await s.stop();
  certs?.remove();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A directory with a root per name, each index.html saying the name. */
function siteDir(names: readonly string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-sites-tls-"));
  dirs.push(dir);
  for (const name of names) {
    fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, name, "index.html"), `hello from ${name}\n`);
  }
  return dir;
}

async function start(dir: string, ports: number, text: (ports: readonly number[]) => string): Promise<SiteServer> {
  const server = await startSites({ dir, ports, text, timeoutMs: 90_000 });
  servers.push(server);
  return server;
}

/** Waits until stdout matches `pattern` (after `from` characters) and returns the match. */
async function waitForLine(server: SiteServer, pattern: RegExp, from = 0): Promise<string> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const m = pattern.exec(server.stdout().slice(from));
    if (m !== null) return m[0];
    if (Date.now() > deadline) throw new Error(`no ${pattern}\nstdout: ${server.stdout()}\nstderr: ${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function plainGet(port: number, target: string, host: string) {
  const { bytes } = await exchange(port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, {
    timeoutMs: 15_000,
  });
  return parseResponses(bytes)[0]!;
}

test("cert files: SNI picks each site's certificate on a shared listener; a plain listener and http_port beside; SIGHUP re-reads", {
  skip,
  timeout: 180_000,
}, async () => {
  const a = certs!.selfSigned(["a.test"], "ec");
  const b = certs!.selfSigned(["b.test"], "ec");
  const dir = siteDir(["a", "b", "plain"]);
  // The site's files live beside the file, where a reload will find the new ones.
  for (const [name, files] of [
    ["a", a],
    ["b", b],
  ] as const) {
    fs.copyFileSync(files.cert, path.join(dir, `${name}.crt`));
    fs.copyFileSync(files.key, path.join(dir, `${name}.key`));
  }
  const server = await start(
    dir,
    3,
    ([tls, plain, http]) => `threads = 2
http_port = ${http}

[log]
quiet = true

[[site]]
hosts = ["a.test"]
listen = ["127.0.0.1:${tls}"]
root = "a"
tls = { cert = "a.crt", key = "a.key" }

[[site]]
hosts = ["b.test"]
listen = ["127.0.0.1:${tls}"]
root = "b"
tls = [{ cert = "b.crt", key = "b.key" }]

[[site]]
listen = ["127.0.0.1:${plain}"]
root = "plain"
`,
  );
  const [tlsPort, plainPort, httpPort] = server.ports as [number, number, number];
  assert.match(server.stdout(), new RegExp(`https://127\\.0\\.0\\.1:${tlsPort}/`));

  const toA = await tlsGet(tlsPort, { servername: "a.test", ca: fs.readFileSync(a.cert, "utf8") });
  assert.equal(toA.authorized, true, toA.authorizationError);
  assert.equal(toA.body, "hello from a\n");
  const toB = await tlsGet(tlsPort, { servername: "b.test", ca: fs.readFileSync(b.cert, "utf8") });
  assert.equal(toB.authorized, true, toB.authorizationError);
  assert.equal(toB.body, "hello from b\n");
  // No SNI: the first pair of the file, and the listener's first site.
  const none = await tlsGet(tlsPort);
  assert.equal(none.fingerprint, toA.fingerprint);

  const plain = await plainGet(plainPort, "/", "any.test");
  assert.equal(plain.status, 200);
  assert.equal(plain.body.toString(), "hello from plain\n");
  // A plain request on the TLS port is refused clearly.
  assert.equal((await plainGet(tlsPort, "/", "a.test")).status, 400);

  const redirected = await plainGet(httpPort, "/x/y?z=1", "b.test");
  assert.equal(redirected.status, 308);
  assert.equal(redirected.headers.location, `https://b.test:${tlsPort}/x/y?z=1`);

  // New certificate files for b.test: a reload serves them; open listeners stay.
  const renewed = certs!.selfSigned(["b.test"], "rsa");
  fs.copyFileSync(renewed.cert, path.join(dir, "b.crt"));
  fs.copyFileSync(renewed.key, path.join(dir, "b.key"));
  let seen = server.stdout().length;
  server.child.kill("SIGHUP");
  await waitForLine(server, /reloaded the configuration/, seen);
  const toRenewed = await tlsGet(tlsPort, { servername: "b.test", ca: fs.readFileSync(renewed.cert, "utf8") });
  assert.equal(toRenewed.authorized, true, toRenewed.authorizationError);
  assert.notEqual(toRenewed.fingerprint, toB.fingerprint);

  // A key that does not match its certificate: one line naming the file; the running certificates stay.
  fs.copyFileSync(a.key, path.join(dir, "b.key"));
  seen = server.stdout().length + server.stderr().length;
  server.child.kill("SIGHUP");
  const deadline = Date.now() + 90_000;
  let failure: RegExpExecArray | null = null;
  while (failure === null && Date.now() < deadline) {
    failure = /portico: reload failed: [^\n]*\n/.exec(server.stdout() + server.stderr());
    if (failure === null) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(failure !== null, `no reload failure after ${seen} characters of output`);
  assert.match(failure[0], /portico\.toml:\d+: tls key: [^\n]*b\.key does not match the certificate in [^\n]*b\.crt/);
  assert.match(failure[0], /keeping the running configuration\n$/);
  const still = await tlsGet(tlsPort, { servername: "b.test" });
  assert.equal(still.fingerprint, toRenewed.fingerprint);
});

test('tls = "internal": the local CA under data_dir certifies the site\'s hosts and localhost', {
  skip,
  timeout: 120_000,
}, async () => {
  const dir = siteDir(["dev"]);
  const server = await start(
    dir,
    1,
    ([port]) => `threads = 1
data_dir = "state"

[log]
quiet = true

[[site]]
hosts = ["dev.test"]
listen = ["127.0.0.1:${port}"]
root = "dev"
tls = "internal"
`,
  );
  const root = fs.readFileSync(path.join(dir, "state", "pki", "root.crt"), "utf8");
  assert.match(server.stdout(), /local CA root: [^\n]*state\/pki\/root\.crt/);
  for (const servername of ["dev.test", "localhost"]) {
    const answer = await tlsGet(server.ports[0]!, { servername, ca: root });
    assert.equal(answer.authorized, true, `${servername}: ${answer.authorizationError}`);
    assert.equal(answer.body, "hello from dev\n");
  }
});

const noPebble = skipWithoutPebble();

test("tls = \"acme\": the site's hosts certified by the [acme] CA (pebble) over http_port's HTTP-01", {
  skip: noPebble,
  timeout: 180_000,
}, async () => {
  const tlsPort = await freePort();
  const httpPort = await freePort();
  const pebble = await startPebble({ httpPort, tlsPort });
  try {
    const dir = siteDir(["shop"]);
    const server = await start(
      dir,
      0,
      () => `threads = 2
http_port = ${httpPort}
data_dir = "state"

[log]
quiet = true

[acme]
ca = "${pebble.directory}"
ca_root = "${pebble.caFile}"
email = "ops@shop.test"

[[site]]
hosts = ["shop.test"]
listen = ["127.0.0.1:${tlsPort}"]
root = "shop"
tls = "acme"
`,
    );
    await waitForLine(server, /portico: acme: certificate for shop\.test obtained/);
    const served = await tlsGet(tlsPort, { servername: "shop.test", ca: await pebble.issuerRoot() });
    assert.equal(served.authorized, true, served.authorizationError);
    assert.equal(served.body, "hello from shop\n");
    assert.match(served.altNames, /DNS:shop\.test/);
    assert.ok(fs.existsSync(path.join(dir, "state", "certificates")));
  } finally {
    await pebble.stop();
  }
});

test("portico check reads the certificate files: a key that is not its certificate's is one line", {
  skip,
  timeout: 60_000,
}, async () => {
  const a = certs!.selfSigned(["a.test"], "ec");
  const b = certs!.selfSigned(["b.test"], "ec");
  const dir = siteDir(["a"]);
  const file = path.join(dir, "portico.toml");
  const text = (key: string): string =>
    `[[site]]\nhosts = ["a.test"]\nlisten = ["8443"]\nroot = "a"\ntls = { cert = "${a.cert}", key = "${key}" }\n`;
  fs.writeFileSync(file, text(a.key));
  const valid = await runCli(["check", "-c", file]);
  assert.equal(valid.code, 0, valid.stderr);
  fs.writeFileSync(file, text(b.key));
  const invalid = await runCli(["check", "-c", file]);
  assert.equal(invalid.code, 1);
  assert.match(
    invalid.stderr,
    /^portico: [^\n]*portico\.toml:5: tls key: [^\n]* does not match the certificate in [^\n]*\n$/,
  );
});
