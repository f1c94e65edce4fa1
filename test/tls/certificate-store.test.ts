import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CertificateStore, nameMatches } from "../../src/tls/certificate-store.ts";
import { type CertificatePair, readCertificatePair } from "../../src/tls/certificate.ts";
import { CertificateFactory, skipWithoutOpenssl } from "../helpers/certificates.ts";

const skip = skipWithoutOpenssl();
const certs = new CertificateFactory();
let ecLocal: CertificatePair;
let rsaLocal: CertificatePair;
let wild: CertificatePair;
let exactA: CertificatePair;

before(() => {
  if (skip !== false) return;
  const read = (f: { cert: string; key: string }): CertificatePair => readCertificatePair(f.cert, f.key);
  ecLocal = read(certs.selfSigned(["localhost"], "ec"));
  rsaLocal = read(certs.selfSigned(["localhost"], "rsa"));
  wild = read(certs.selfSigned(["*.example.test"], "ec"));
  exactA = read(certs.selfSigned(["a.example.test"], "rsa"));
});
after(() => certs.remove());

test("a wildcard covers exactly one label (RFC 6125 §6.4.3)", { skip }, () => {
  assert.equal(nameMatches("*.example.test", "a.example.test"), true);
  assert.equal(nameMatches("*.example.test", "example.test"), false);
  assert.equal(nameMatches("*.example.test", "a.b.example.test"), false);
  assert.equal(nameMatches("a.example.test", "a.example.test"), true);
  assert.equal(nameMatches("a.example.test", "b.example.test"), false);
});

test("select: exact before wildcard, any case; no SNI or an unknown name gets the first pair's context", {
  skip,
}, () => {
  const store = new CertificateStore([ecLocal, wild, exactA]);
  assert.equal(store.select(null), store.defaultContext);
  assert.equal(store.select(""), store.defaultContext);
  assert.equal(store.select("nobody.test"), store.defaultContext);
  assert.equal(store.select("LOCALHOST"), store.defaultContext);
  assert.notEqual(store.select("b.example.test"), store.defaultContext);
  // a.example.test: the exact RSA certificate and, for ECDSA clients, the wildcard: one context.
  assert.notEqual(store.select("a.example.test"), store.select("b.example.test"));
  assert.deepEqual(store.names, ["localhost", "*.example.test", "a.example.test"]);
});

test("ECDSA and RSA certificates for one name share one context; identical choices share contexts", { skip }, () => {
  const store = new CertificateStore([ecLocal, rsaLocal]);
  assert.equal(store.contexts.length, 1);
  assert.equal(store.select("localhost"), store.defaultContext);
});

test("an empty store is refused", { skip }, () => {
  assert.throws(() => new CertificateStore([]), RangeError);
});
