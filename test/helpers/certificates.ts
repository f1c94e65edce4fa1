// Certificates for TLS tests, made with openssl in a temp dir: self-signed ECDSA P-256 or RSA leaves
// for given names, and a root → intermediate → leaf chain. Nothing is committed to the repository.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Why these tests cannot run here (no openssl), or false. Outside CI they are skipped with the
 * reason; in CI a missing openssl is a failure (.ci/run installs it).
 */
export function skipWithoutOpenssl(): string | false {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return false;
  } catch {
    const reason = "openssl is not installed (apt-get install openssl)";
    if (process.env.CI !== undefined && process.env.CI !== "") throw new Error(`CI needs ${reason}`);
    return reason;
  }
}

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

export class CertificateFactory {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-certs-"));
  #n = 0;

  #openssl(args: string[]): void {
    execFileSync("openssl", args, { cwd: this.dir, stdio: "ignore" });
  }

  #keyArgs(type: "ec" | "rsa"): string[] {
    return type === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", "rsa:2048"];
  }

  /** A self-signed leaf for `names` (DNS) with a key of `type`. */
  selfSigned(names: readonly string[], type: "ec" | "rsa" = "ec"): CertFiles {
    const base = path.join(this.dir, `leaf${++this.#n}`);
    const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
    this.#openssl([
      "req",
      "-x509",
      ...this.#keyArgs(type),
      "-nodes",
      "-keyout",
      `${base}.key`,
      "-out",
      `${base}.crt`,
      "-days",
      "2",
      "-subj",
      `/CN=${names[0]}`,
      "-addext",
      `subjectAltName=${san}`,
    ]);
    return { cert: `${base}.crt`, key: `${base}.key` };
  }

  /** root → intermediate → leaf for `name`; the cert file holds leaf then intermediate. */
  chain(name: string): CertFiles & { root: string } {
    const b = path.join(this.dir, `chain${++this.#n}`);
    const ext = `${b}.ext`;
    fs.writeFileSync(
      ext,
      `[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n[leaf]\nsubjectAltName=DNS:${name}\nbasicConstraints=CA:FALSE\n`,
    );
    const ec = this.#keyArgs("ec");
    this.#openssl([
      "req",
      "-x509",
      ...ec,
      "-nodes",
      "-keyout",
      `${b}-root.key`,
      "-out",
      `${b}-root.crt`,
      "-days",
      "2",
      "-subj",
      "/CN=test root",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    this.#openssl([
      "req",
      ...ec,
      "-nodes",
      "-keyout",
      `${b}-int.key`,
      "-out",
      `${b}-int.csr`,
      "-subj",
      "/CN=test intermediate",
    ]);
    this.#openssl([
      "x509",
      "-req",
      "-in",
      `${b}-int.csr`,
      "-CA",
      `${b}-root.crt`,
      "-CAkey",
      `${b}-root.key`,
      "-CAcreateserial",
      "-out",
      `${b}-int.crt`,
      "-days",
      "2",
      "-extfile",
      ext,
      "-extensions",
      "ca",
    ]);
    this.#openssl(["req", ...ec, "-nodes", "-keyout", `${b}.key`, "-out", `${b}.csr`, "-subj", `/CN=${name}`]);
    this.#openssl([
      "x509",
      "-req",
      "-in",
      `${b}.csr`,
      "-CA",
      `${b}-int.crt`,
      "-CAkey",
      `${b}-int.key`,
      "-CAcreateserial",
      "-out",
      `${b}-leaf.crt`,
      "-days",
      "2",
      "-extfile",
      ext,
      "-extensions",
      "leaf",
    ]);
    fs.writeFileSync(`${b}.crt`, fs.readFileSync(`${b}-leaf.crt`, "utf8") + fs.readFileSync(`${b}-int.crt`, "utf8"));
    return { cert: `${b}.crt`, key: `${b}.key`, root: `${b}-root.crt` };
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
