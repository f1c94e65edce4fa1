// A certificate and its private key, read from PEM files and checked: the file exists and can be
// read, holds a certificate (the leaf first, then any chain, all sent as they are) and a private key,
// and the key matches the certificate. Also the names a certificate covers (subjectAltName, RFC 6125).
// Not here: choosing among certificates (certificate-store.ts).

import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import fs from "node:fs";
import { TlsError } from "./errors.ts";

/** A checked certificate with its key: PEM text, the names it covers and its key's type. */
export interface CertificatePair {
  /** Where it came from, for messages ("site.crt", "acme:example.com", "internal CA"). */
  readonly source: string;
  /** The whole chain file as PEM, leaf first: sent as it is. */
  readonly cert: string;
  readonly key: string;
  /** DNS names (lower case; wildcards as "*.example.com"), from subjectAltName, else the subject CN. */
  readonly names: readonly string[];
  /** IP addresses from subjectAltName. */
  readonly addresses: readonly string[];
  /** "ec", "rsa", "ed25519"…: OpenSSL keeps one certificate per key type in a context. */
  readonly keyType: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readPem(file: string, what: "certificate" | "key", flag: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new TlsError("FILE_MISSING", `${flag}: ${file} does not exist`);
    if (code === "EISDIR") throw new TlsError("FILE_UNREADABLE", `${flag}: ${file} is a directory, not a ${what} file`);
    const reason = code === "EACCES" ? "permission denied" : (code ?? (error as Error).message);
    throw new TlsError("FILE_UNREADABLE", `${flag}: ${file} cannot be read (${reason})`);
  }
}

/** Reads and checks one --cert/--key pair; throws a TlsError whose message names the file at fault. */
export function readCertificatePair(certFile: string, keyFile: string): CertificatePair {
  const cert = readPem(certFile, "certificate", "--cert");
  const key = readPem(keyFile, "key", "--key");
  return checkCertificatePair(cert, key, certFile, keyFile);
}

/**
 * Checks PEM text already in memory (files, or what ACME and the local CA produce). `certName` and
 * `keyName` name the sources in messages.
 */
export function checkCertificatePair(cert: string, key: string, certName: string, keyName = certName): CertificatePair {
  const blocks = cert.match(PEM_CERT);
  if (blocks === null) throw new TlsError("NO_CERTIFICATE", `--cert: ${certName} holds no PEM certificate`);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(blocks[0]);
    for (let i = 1; i < blocks.length; i++) new X509Certificate(blocks[i]!);
  } catch (error) {
    throw new TlsError(
      "BAD_CERTIFICATE",
      `--cert: ${certName} holds a certificate that cannot be parsed (${(error as Error).message})`,
    );
  }
  if (!/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(key))
    throw new TlsError("NO_KEY", `--key: ${keyName} holds no PEM private key`);
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(key))
    throw new TlsError(
      "BAD_KEY",
      `--key: ${keyName} cannot be used (it is encrypted, and passphrases are not supported)`,
    );
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new TlsError("BAD_KEY", `--key: ${keyName} cannot be used (${(error as Error).message})`);
  }
  if (!leaf.checkPrivateKey(privateKey))
    throw new TlsError("KEY_MISMATCH", `--key: ${keyName} does not match the certificate in ${certName}`);
  const { names, addresses } = namesOf(leaf);
  return {
    source: certName,
    cert: cert.endsWith("\n") ? cert : `${cert}\n`,
    key,
    names,
    addresses,
    keyType: privateKey.asymmetricKeyType ?? "unknown",
    notBefore: Date.parse(leaf.validFrom),
    notAfter: Date.parse(leaf.validTo),
  };
}

/** DNS names and IP addresses a certificate is valid for (RFC 6125 §6.4: subjectAltName first). */
export function namesOf(cert: X509Certificate): { names: string[]; addresses: string[] } {
  const names: string[] = [];
  const addresses: string[] = [];
  for (const entry of splitAltNames(cert.subjectAltName ?? "")) {
    if (entry.startsWith("DNS:")) names.push(entry.slice(4).toLowerCase());
    else if (entry.startsWith("IP Address:")) addresses.push(entry.slice(11));
  }
  if (names.length === 0 && addresses.length === 0) {
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
    if (cn !== undefined) names.push(cn.toLowerCase());
  }
  return { names, addresses };
}

/** subjectAltName as Node prints it: "DNS:a, DNS:b, IP Address:1.2.3.4" (quoted when unusual). */
function splitAltNames(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(", ")) {
    const colon = raw.indexOf(":");
    if (colon === -1) continue;
    let value = raw.slice(colon + 1);
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        continue;
      }
    }
    out.push(`${raw.slice(0, colon)}:${value}`);
  }
  return out;
}
