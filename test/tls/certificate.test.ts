import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { checkCertificatePair, readCertificatePair } from "../../src/tls/certificate.ts";
import { TlsError } from "../../src/tls/errors.ts";
import { CertificateFactory, skipWithoutOpenssl } from "../helpers/certificates.ts";

const skip = skipWithoutOpenssl();
const certs = new CertificateFactory();
after(() => certs.remove());

function failure(fn: () => unknown): TlsError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TlsError);
    return error;
  }
  assert.fail("expected a TlsError");
}

test("a pair's names, addresses, key type and validity come from the certificate", { skip }, () => {
  const files = certs.selfSigned(["Site.Test", "*.site.test", "127.0.0.1"], "ec");
  const pair = readCertificatePair(files.cert, files.key);
  assert.deepEqual(pair.names, ["site.test", "*.site.test"]);
  assert.deepEqual(pair.addresses, ["127.0.0.1"]);
  assert.equal(pair.keyType, "ec");
  assert.ok(pair.notAfter > Date.now() && pair.notBefore <= Date.now());
});

test("each problem is one line naming the file, with a stable code", { skip }, () => {
  const ec = certs.selfSigned(["a.test"], "ec");
  const rsa = certs.selfSigned(["a.test"], "rsa");
  const missing = failure(() => readCertificatePair("/nonexistent/a.crt", ec.key));
  assert.equal(missing.code, "FILE_MISSING");
  assert.equal(missing.message, "--cert: /nonexistent/a.crt does not exist");
  assert.equal(failure(() => readCertificatePair(ec.cert, certs.dir)).code, "FILE_UNREADABLE");
  assert.equal(failure(() => readCertificatePair(ec.key, ec.key)).code, "NO_CERTIFICATE");
  assert.equal(failure(() => readCertificatePair(ec.cert, ec.cert)).code, "NO_KEY");
  const mismatch = failure(() => readCertificatePair(ec.cert, rsa.key));
  assert.equal(mismatch.code, "KEY_MISMATCH");
  assert.equal(mismatch.message, `--key: ${rsa.key} does not match the certificate in ${ec.cert}`);
  for (const e of [missing, mismatch]) assert.doesNotMatch(e.message, /\n/);
});

test("an encrypted key is refused with the reason", { skip }, () => {
  const ec = certs.selfSigned(["a.test"], "ec");
  const encrypted = path.join(certs.dir, "encrypted.key");
  execFileSync("openssl", ["pkey", "-in", ec.key, "-aes256", "-passout", "pass:secret", "-out", encrypted]);
  const error = failure(() => readCertificatePair(ec.cert, encrypted));
  assert.equal(error.code, "BAD_KEY");
  assert.match(error.message, /passphrases are not supported/);
});

test("a chain file is kept whole, leaf first", { skip }, () => {
  const chain = certs.chain("chain.test");
  const pair = readCertificatePair(chain.cert, chain.key);
  assert.equal((pair.cert.match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
  assert.deepEqual(pair.names, ["chain.test"]);
  assert.equal(
    checkCertificatePair(fs.readFileSync(chain.cert, "utf8"), fs.readFileSync(chain.key, "utf8"), "x").names[0],
    "chain.test",
  );
});
