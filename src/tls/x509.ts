// X.509 objects Portico makes itself, through @peculiar/x509 (a maintained, widely used library over
// WebCrypto): key pairs, certificate signing requests for ACME (RFC 8555 §7.4, RFC 2986), the
// TLS-ALPN-01 validation certificate (RFC 8737 §3), and the local CA's root and leaves.
// Only the thread that manages certificates loads this file (the library needs the reflect-metadata
// polyfill, loaded here and nowhere else). Not here: the ACME protocol (acme/).

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { Buffer } from "node:buffer";
import { createHash, createPrivateKey, createPublicKey, randomBytes, webcrypto } from "node:crypto";

type CryptoKey = webcrypto.CryptoKey;

// Node's WebCrypto is the standard one; its declared type differs from the DOM's only in name.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);

const EC_ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
/** id-pe-acmeIdentifier (RFC 8737 §6.1). */
const ACME_IDENTIFIER_OID = "1.3.6.1.5.5.7.1.31";

/** An ECDSA P-256 key pair: the PEM for storage and TLS, the CryptoKeys for signing. */
export interface KeyPair {
  readonly pem: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

/** A new ECDSA P-256 key (what Caddy and Let's Encrypt default to: small and fast to verify). */
export async function generateKeyPair(): Promise<KeyPair> {
  const keys = (await webcrypto.subtle.generateKey(EC_ALGORITHM, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { pem: toPem(der, "PRIVATE KEY"), privateKey: keys.privateKey, publicKey: keys.publicKey };
}

/** A stored P-256 key (PKCS#8 or SEC1 PEM) as a key pair. */
export async function importKeyPair(pem: string): Promise<KeyPair> {
  const key = createPrivateKey(pem);
  const pkcs8 = key.export({ format: "der", type: "pkcs8" });
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  const privateKey = await webcrypto.subtle.importKey("pkcs8", pkcs8, EC_ALGORITHM, true, ["sign"]);
  const publicKey = await webcrypto.subtle.importKey("spki", spki, EC_ALGORITHM, true, ["verify"]);
  return { pem: toPem(pkcs8, "PRIVATE KEY"), privateKey, publicKey };
}

function toPem(der: Buffer, label: string): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function altNames(names: readonly string[], addresses: readonly string[] = []): x509.SubjectAlternativeNameExtension {
  return new x509.SubjectAlternativeNameExtension([
    ...names.map((value) => ({ type: "dns" as const, value })),
    ...addresses.map((value) => ({ type: "ip" as const, value })),
  ]);
}

/** A PKCS#10 request for `names` (DER), as ACME's finalize takes it (RFC 8555 §7.4). */
export async function createCsr(names: readonly string[], keys: KeyPair): Promise<Buffer> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [names[0]!] }],
    keys: { privateKey: keys.privateKey, publicKey: keys.publicKey },
    signingAlgorithm: EC_ALGORITHM,
    extensions: [altNames(names)],
  });
  return Buffer.from(csr.rawData);
}

function serial(): string {
  // Positive, 16 random bytes (RFC 5280 §4.1.2.2: at most 20 octets).
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString("hex");
}

/**
 * The self-signed certificate a TLS-ALPN-01 validation expects (RFC 8737 §3): the name alone, and
 * the critical acmeIdentifier extension holding SHA-256 of the key authorization.
 */
export async function createValidationCertificate(
  name: string,
  keyAuthorization: string,
): Promise<{ cert: string; key: string }> {
  const keys = await generateKeyPair();
  const digest = createHash("sha256").update(keyAuthorization).digest();
  // The extension's value is the DER OCTET STRING of the digest (RFC 8737 §3: "Authorization").
  const value = Buffer.concat([Buffer.from([0x04, digest.length]), digest]);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [name] }],
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 7 * 86_400_000),
    keys: { privateKey: keys.privateKey, publicKey: keys.publicKey },
    signingAlgorithm: EC_ALGORITHM,
    extensions: [altNames([name]), new x509.Extension(ACME_IDENTIFIER_OID, true, value)],
  });
  return { cert: cert.toString("pem"), key: keys.pem };
}

/** A self-signed CA certificate (the local CA's root). */
export async function createRootCertificate(commonName: string, keys: KeyPair, lifetimeMs: number): Promise<string> {
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [commonName] }, { O: ["Portico local CA"] }],
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + lifetimeMs),
    keys: { privateKey: keys.privateKey, publicKey: keys.publicKey },
    signingAlgorithm: EC_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return cert.toString("pem");
}

/** A server certificate for `names` and `addresses`, signed by the CA (RFC 5280 profile). */
export async function issueLeafCertificate(
  ca: { cert: string; keys: KeyPair },
  names: readonly string[],
  addresses: readonly string[],
  leaf: KeyPair,
  lifetimeMs: number,
): Promise<string> {
  const issuer = new x509.X509Certificate(ca.cert);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [names[0] ?? addresses[0] ?? "localhost"] }],
    issuer: issuer.subject,
    // A little in the past: a client whose clock lags must not see "not yet valid".
    notBefore: new Date(now - 300_000),
    notAfter: new Date(now + lifetimeMs),
    publicKey: leaf.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      altNames(names, addresses),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(leaf.publicKey),
    ],
  });
  return cert.toString("pem");
}

/**
 * The ARI certificate identifier (RFC 9773 §4.1): base64url of the Authority Key Identifier's
 * keyIdentifier, ".", base64url of the serial number's DER content octets. Null without an AKI.
 */
export function renewalCertId(pem: string): string | null {
  const cert = new x509.X509Certificate(pem);
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
  if (aki?.keyId === undefined) return null;
  let serialHex = cert.serialNumber;
  if (serialHex.length % 2 === 1) serialHex = `0${serialHex}`;
  // DER INTEGER content: a leading zero byte when the high bit is set.
  if (/^[89a-f]/i.test(serialHex)) serialHex = `00${serialHex}`;
  return `${Buffer.from(aki.keyId, "hex").toString("base64url")}.${Buffer.from(serialHex, "hex").toString("base64url")}`;
}

/** A self-signed certificate for `names`: served until a real one arrives (no client trusts it). */
export async function createSelfSignedCertificate(names: readonly string[]): Promise<{ cert: string; key: string }> {
  const keys = await generateKeyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [names[0] ?? "localhost"] }],
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 7 * 86_400_000),
    keys: { privateKey: keys.privateKey, publicKey: keys.publicKey },
    signingAlgorithm: EC_ALGORITHM,
    extensions: [altNames(names)],
  });
  return { cert: cert.toString("pem"), key: keys.pem };
}
