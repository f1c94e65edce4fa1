import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { test } from "node:test";
import { AccountKey } from "../../../src/tls/acme/jws.ts";

const pem = generateKeyPairSync("ec", { namedCurve: "P-256" })
  .privateKey.export({ format: "pem", type: "pkcs8" })
  .toString();

test("a flattened JWS signed ES256 (r||s) over protected.payload, with jwk or kid (RFC 8555 §6.2)", () => {
  const key = new AccountKey(pem);
  const withJwk = key.sign("https://ca/new-acct", "nonce1", { termsOfServiceAgreed: true }, null);
  const header = JSON.parse(Buffer.from(withJwk.protected, "base64url").toString()) as Record<string, unknown>;
  assert.deepEqual(header, { alg: "ES256", jwk: key.jwk, nonce: "nonce1", url: "https://ca/new-acct" });
  assert.deepEqual(JSON.parse(Buffer.from(withJwk.payload, "base64url").toString()), { termsOfServiceAgreed: true });
  const signature = Buffer.from(withJwk.signature, "base64url");
  assert.equal(signature.length, 64);
  const publicKey = createPublicKey(pem);
  const data = Buffer.from(`${withJwk.protected}.${withJwk.payload}`);
  assert.ok(verify("sha256", data, { key: publicKey, dsaEncoding: "ieee-p1363" }, signature));
  // POST-as-GET: an empty payload (RFC 8555 §6.3), the account URL as kid.
  const asGet = key.sign("https://ca/order/1", "nonce2", null, "https://ca/acct/7");
  assert.equal(asGet.payload, "");
  assert.equal(
    (JSON.parse(Buffer.from(asGet.protected, "base64url").toString()) as { kid: string }).kid,
    "https://ca/acct/7",
  );
});

test("the thumbprint hashes the required members in lexicographic order (RFC 7638 §3)", () => {
  const key = new AccountKey(pem);
  const { crv, kty, x, y } = key.jwk;
  const expected = createHash("sha256")
    .update(`{"crv":"${crv}","kty":"${kty}","x":"${x}","y":"${y}"}`)
    .digest("base64url");
  assert.equal(key.thumbprint, expected);
  assert.equal(key.keyAuthorization("tok"), `tok.${expected}`);
});

test("only P-256 keys are accepted for accounts", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ format: "pem", type: "pkcs8" })
    .toString();
  assert.throws(() => new AccountKey(rsa), /P-256/);
});
