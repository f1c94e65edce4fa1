import "reflect-metadata";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash, X509Certificate } from "node:crypto";
import fs from "node:fs";
import { test } from "node:test";
import * as peculiar from "@peculiar/x509";
import { CertificateFactory, skipWithoutOpenssl } from "../helpers/certificates.ts";
import {
  createCsr,
  createValidationCertificate,
  generateKeyPair,
  importKeyPair,
  renewalCertId,
} from "../../src/tls/x509.ts";

test("the ARI certificate id is AKI keyIdentifier . serial, base64url (RFC 9773 §4.1's example)", {
  skip: skipWithoutOpenssl(),
}, () => {
  const certs = new CertificateFactory();
  try {
    const ca = certs.authority("ca", [
      "subjectKeyIdentifier=69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4",
    ]);
    const leaf = certs.issue(ca, "leaf", "authorityKeyIdentifier=keyid:always\n", "0x0087654321");
    assert.equal(renewalCertId(fs.readFileSync(leaf.cert, "utf8")), "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
  } finally {
    certs.remove();
  }
});

test("the TLS-ALPN-01 certificate names the host and holds SHA-256 of the key authorization, critical (RFC 8737 §3)", async () => {
  const { cert } = await createValidationCertificate("a.test", "token.thumb");
  assert.equal(new X509Certificate(cert).subjectAltName, "DNS:a.test");
  const ext = new peculiar.X509Certificate(cert).getExtension("1.3.6.1.5.5.7.1.31");
  assert.ok(ext !== null);
  assert.equal(ext.critical, true);
  const digest = createHash("sha256").update("token.thumb").digest();
  assert.deepEqual(Buffer.from(ext.value), Buffer.concat([Buffer.from([0x04, 0x20]), digest]));
});

test("a CSR names every host in subjectAltName; a stored key imports back", async () => {
  const keys = await generateKeyPair();
  const csr = new peculiar.Pkcs10CertificateRequest(await createCsr(["a.test", "b.test"], keys));
  assert.ok(await csr.verify());
  const san = new peculiar.SubjectAlternativeNameExtension(csr.getExtension("2.5.29.17")!.rawData);
  assert.deepEqual(
    san.names.items.map((n) => n.value),
    ["a.test", "b.test"],
  );
  assert.equal((await importKeyPair(keys.pem)).pem, keys.pem);
});
