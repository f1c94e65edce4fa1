import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { LEAF_LIFETIME_MS, LocalCa } from "../../src/tls/local-ca.ts";

test("the root is made once and kept; leaves it signs name the hosts and addresses and live a day", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-ca-"));
  try {
    const ca = await LocalCa.open(dir);
    assert.equal(ca.rootFile, path.join(dir, "pki", "root.crt"));
    const root = fs.readFileSync(ca.rootFile, "utf8");
    assert.equal(fs.statSync(path.join(dir, "pki", "root.key")).mode & 0o777, 0o600);
    const leaf = await ca.issue(["localhost", "app.test"], ["127.0.0.1"]);
    const x = new X509Certificate(leaf.cert);
    assert.ok(x.verify(new X509Certificate(root).publicKey));
    assert.equal(x.ca, false);
    assert.deepEqual(leaf.names, ["localhost", "app.test"]);
    assert.deepEqual(leaf.addresses, ["127.0.0.1"]);
    assert.ok(leaf.notAfter - Date.now() <= LEAF_LIFETIME_MS);
    const reopened = await LocalCa.open(dir);
    assert.equal(fs.readFileSync(reopened.rootFile, "utf8"), root);
    const next = await reopened.issue(["localhost"], []);
    assert.ok(new X509Certificate(next.cert).verify(new X509Certificate(root).publicKey));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
