// A file's sites with `tls` → the same TlsModel the flags build: certificate pairs (one or a list)
// relative to the file, "acme" certifying the site's hosts with the [acme] table's CA, "internal" naming
// them for the local CA, the listeners that speak TLS, http_port and data_dir; and the errors, each one
// line naming the file, line and key: a listener mixing TLS and plain sites, a missing certificate
// file, "acme" without hosts or with a wildcard, http_port without any TLS site, a bad [acme] CA URL.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { parseCommandLine, type ServerModel } from "../../src/config/load.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** `text` as portico.toml in a directory with a root and certificate files (contents unread here). */
function configDir(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-tls-config-"));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, "www"));
  fs.mkdirSync(path.join(dir, "certs"));
  for (const name of ["a.crt", "a.key", "b.crt", "b.key", "root.pem"])
    fs.writeFileSync(path.join(dir, "certs", name), "-----BEGIN CERTIFICATE-----\n");
  fs.writeFileSync(path.join(dir, "portico.toml"), text);
  return dir;
}

async function modelOf(text: string, flags: readonly string[] = []): Promise<ServerModel> {
  const dir = configDir(text);
  const command = await parseCommandLine(["check", "-c", path.join(dir, "portico.toml"), ...flags]);
  assert.equal(command.kind, "check");
  return (command as { config: ServerModel }).config;
}

async function errorOf(text: string): Promise<string> {
  const dir = configDir(text);
  try {
    await parseCommandLine(["check", "-c", path.join(dir, "portico.toml")]);
  } catch (error) {
    return (error as Error).message.replace(`${dir}/`, "");
  }
  return "";
}

test("certificate files relative to the file; a listener with a TLS site speaks TLS, others stay plain", async () => {
  const model = await modelOf(`
[[site]]
hosts = ["a.test"]
listen = ["127.0.0.1:8443"]
root = "www"
tls = { cert = "certs/a.crt", key = "certs/a.key" }

[[site]]
hosts = ["b.test"]
listen = ["127.0.0.1:8443"]
root = "www"
tls = [{ cert = "certs/b.crt", key = "certs/b.key" }, { cert = "certs/a.crt", key = "certs/a.key" }]

[[site]]
listen = ["127.0.0.1:8080"]
root = "www"
`);
  const tls = model.tls!;
  assert.deepEqual(tls.listeners, [0]);
  assert.deepEqual(tls.listenHosts, ["127.0.0.1"]);
  const dir = path.dirname(model.file);
  // Each pair once, in the file's order: the first is served when SNI names no certificate.
  // `where` names each pair's line for the messages of the certificates read at start and on reload.
  assert.deepEqual(tls.certFiles, [
    { cert: path.join(dir, "certs/a.crt"), key: path.join(dir, "certs/a.key"), where: `${model.file}:6` },
    { cert: path.join(dir, "certs/b.crt"), key: path.join(dir, "certs/b.key"), where: `${model.file}:12` },
  ]);
  assert.equal(tls.acme, false);
  assert.equal(tls.tlsInternal, false);
  assert.equal(tls.httpPort, -1);
});

test('"acme" certifies the sites\' hosts with the [acme] CA; "internal" names its hosts for the local CA', async () => {
  const model = await modelOf(`
http_port = 8080
data_dir = "state"

[acme]
email = "ops@shop.test"
ca = "https://ca.test/dir"
ca_root = "certs/root.pem"

[[site]]
hosts = ["shop.test", "www.shop.test"]
listen = ["8443"]
root = "www"
tls = "acme"

[[site]]
hosts = ["dev.test"]
listen = ["8444"]
root = "www"
tls = "internal"
`);
  const tls = model.tls!;
  assert.deepEqual(tls.listeners, [0, 1]);
  assert.deepEqual(tls.listenHosts, ["", ""]);
  assert.equal(tls.acme, true);
  assert.deepEqual(tls.domains, ["shop.test", "www.shop.test"]);
  assert.equal(tls.acmeCa, "https://ca.test/dir");
  assert.equal(tls.acmeEmail, "ops@shop.test");
  assert.match(tls.acmeCaRoot, /BEGIN CERTIFICATE/);
  assert.equal(tls.tlsInternal, true);
  assert.deepEqual(tls.internalNames, ["dev.test"]);
  assert.equal(tls.httpPort, 8080);
  assert.equal(tls.dataDir, path.join(path.dirname(model.file), "state"));
});

test("flags override [acme], data_dir and http_port; --cert and --tls stay the command line's", async () => {
  const text = '[acme]\nemail = "a@b.test"\n[[site]]\nhosts = ["a.test"]\nroot = "www"\ntls = "acme"\n';
  const model = await modelOf(text, ["--acme-email", "c@d.test", "--http-port", "8081", "--data-dir", "/var/x"]);
  assert.equal(model.tls!.acmeEmail, "c@d.test");
  assert.equal(model.tls!.httpPort, 8081);
  assert.equal(model.tls!.dataDir, "/var/x");
  await assert.rejects(() => modelOf(text, ["--tls", "internal"]), /--tls cannot be combined with --config/);
});

test("no site with tls: plain HTTP, and http_port is refused at its line", async () => {
  assert.equal((await modelOf('[[site]]\nroot = "www"\n')).tls, null);
  assert.equal(
    await errorOf('threads = 1\nhttp_port = 8080\n[[site]]\nroot = "www"\n'),
    "portico.toml:2: http_port redirects to HTTPS, but no site has tls: give a site tls or remove http_port",
  );
});

test("a listener mixing TLS and plain sites is refused at the later site's key", async () => {
  const plainLater = `[[site]]
hosts = ["a.test"]
listen = ["8443"]
root = "www"
tls = "internal"

[[site]]
hosts = ["b.test"]
listen = ["8443"]
root = "www"
`;
  assert.equal(
    await errorOf(plainLater),
    "portico.toml:9: listener 8443 mixes HTTPS and plain HTTP: site a.test has tls, site b.test has none (a listener speaks TLS for all its sites or for none)",
  );
  const tlsLater = `[[site]]
hosts = ["b.test"]
listen = ["8443"]
root = "www"

[[site]]
hosts = ["a.test"]
listen = ["8443"]
root = "www"
tls = "internal"
`;
  assert.match(await errorOf(tlsLater), /^portico\.toml:10: listener 8443 mixes HTTPS and plain HTTP: /);
});

test("certificate problems name the key's line: a missing file, a bad value, a mistyped key", async () => {
  const site = (tls: string): string => `[[site]]\nhosts = ["a.test"]\nroot = "www"\ntls = ${tls}\n`;
  assert.equal(
    await errorOf(site('{ cert = "certs/none.crt", key = "certs/a.key" }')),
    "portico.toml:4: cert: certs/none.crt does not exist or cannot be read",
  );
  assert.equal(
    await errorOf(site('[{ cert = "certs/a.crt", key = "certs" }]')),
    "portico.toml:4: key: certs is not a file",
  );
  assert.match(
    await errorOf(site('"acmee"')),
    /^portico\.toml:4: tls must be "acme", "internal", \{ cert = "…", key = "…" \} or a list of such tables, got "acmee"$/,
  );
  assert.equal(
    await errorOf(site('{ cert = "certs/a.crt", kee = "certs/a.key" }')),
    'portico.toml:4: unknown key "kee" in site.tls (did you mean "key"?)',
  );
});

test('"acme" needs hosts ACME can certify, and an https:// CA', async () => {
  assert.equal(
    await errorOf('[[site]]\nroot = "www"\ntls = "acme"\n'),
    'portico.toml:3: tls = "acme" certifies the site\'s hosts, but site #1 names none: give it hosts',
  );
  assert.equal(
    await errorOf('[[site]]\nhosts = ["*.shop.test"]\nroot = "www"\ntls = "acme"\n'),
    'portico.toml:2: hosts[0]: *.shop.test: wildcard names need the DNS-01 challenge, which Portico does not do (tls = "acme")',
  );
  assert.equal(
    await errorOf('[acme]\nca = "http://ca.test/dir"\n[[site]]\nhosts = ["a.test"]\nroot = "www"\ntls = "acme"\n'),
    'portico.toml:2: ca: expected an https:// URL, got "http://ca.test/dir"',
  );
});
