import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { AcmeStorage, caDirectoryName } from "../../../src/tls/acme/storage.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-acme-store-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("a CA's directory URL becomes a directory name", () => {
  assert.equal(
    caDirectoryName("https://acme-v02.api.letsencrypt.org/directory"),
    "acme-v02.api.letsencrypt.org-directory",
  );
  assert.equal(caDirectoryName("https://127.0.0.1:14000/dir"), "127.0.0.1-14000-dir");
});

test("keys are written 0600 and read back; certificates and notes per name", () => {
  const storage = new AcmeStorage(dir, "https://ca.test/dir");
  assert.equal(storage.readAccount(), null);
  storage.writeAccountKey("KEY");
  storage.writeAccountUrl("https://ca.test/acct/1");
  assert.deepEqual(storage.readAccount(), { key: "KEY", url: "https://ca.test/acct/1" });
  storage.writeCertificate("a.test", "CERT", "CERTKEY");
  assert.deepEqual(storage.readCertificate("a.test"), { cert: "CERT", key: "CERTKEY", ariCheckAt: 0 });
  storage.writeNotes("a.test", 1234);
  assert.equal(storage.readCertificate("a.test")?.ariCheckAt, 1234);
  const base = path.join(dir, "certificates", "ca.test-dir", "a.test");
  assert.equal(fs.statSync(path.join(base, "key.pem")).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.join(dir, "acme", "ca.test-dir", "account.key")).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.join(dir, "acme")).mode & 0o777, 0o700);
});

test("a name's lock is exclusive; one left by a dead process is taken over", () => {
  const storage = new AcmeStorage(dir, "https://ca.test/dir");
  const held = storage.lock("b.test");
  assert.ok(held !== null);
  assert.equal(storage.lock("b.test"), null, "our own live pid holds it");
  held.release();
  const again = storage.lock("b.test");
  assert.ok(again !== null);
  again.release();
  // A lock file whose pid is gone.
  const file = path.join(dir, "locks", "ca.test-dir-c.test.lock");
  fs.writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), at: Date.now() }));
  const taken = storage.lock("c.test");
  assert.ok(taken !== null);
  taken.release();
  assert.equal(fs.existsSync(file), false);
});
