// Certificates for TLS tests, made with openssl in a temp dir: self-signed ECDSA P-256 or RSA leaves
// for given names, certificate authorities and what they sign, and a root → intermediate → leaf chain.
// Nothing is committed to the repository.

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

  /** A self-signed certificate for `cn` with a key of `type` and the `-addext` values in `extensions`. */
  #selfSigned(stem: string, cn: string, type: "ec" | "rsa", extensions: readonly string[]): CertFiles {
    const base = path.join(this.dir, `${stem}${++this.#n}`);
    const addext = extensions.flatMap((e) => ["-addext", e]);
    const files = ["-keyout", `${base}.key`, "-out", `${base}.crt`];
    this.#openssl([
      "req",
      "-x509",
      ...this.#keyArgs(type),
      "-nodes",
      ...files,
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
      ...addext,
    ]);
    return { cert: `${base}.crt`, key: `${base}.key` };
  }

  /** A self-signed leaf for `names` (DNS) with a key of `type`. */
  selfSigned(names: readonly string[], type: "ec" | "rsa" = "ec"): CertFiles {
    const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
    return this.#selfSigned("leaf", names[0]!, type, [`subjectAltName=${san}`]);
  }

  /**
   * A self-signed certificate authority (ECDSA P-256) named `cn`; `extensions` are more `-addext`
   * values (a fixed subjectKeyIdentifier, say).
   */
  authority(cn: string, extensions: readonly string[] = []): CertFiles {
    return this.#selfSigned("ca", cn, "ec", [
      "basicConstraints=critical,CA:TRUE",
      "keyUsage=critical,keyCertSign,cRLSign",
      ...extensions,
    ]);
  }

  /**
   * A certificate for `cn` (new ECDSA P-256 key) signed by `ca`, with the extensions in `ext` (an
   * openssl extension file's text: subjectAltName, basicConstraints…) and, when given, a fixed serial.
   */
  issue(ca: CertFiles, cn: string, ext: string, serial?: string): CertFiles {
    const base = path.join(this.dir, `cert${++this.#n}`);
    fs.writeFileSync(`${base}.ext`, ext);
    this.#openssl([
      "req",
      ...this.#keyArgs("ec"),
      "-nodes",
      "-keyout",
      `${base}.key`,
      "-out",
      `${base}.csr`,
      "-subj",
      `/CN=${cn}`,
    ]);
    this.#openssl([
      "x509",
      "-req",
      "-in",
      `${base}.csr`,
      "-CA",
      ca.cert,
      "-CAkey",
      ca.key,
      ...(serial !== undefined ? ["-set_serial", serial] : ["-CAcreateserial"]),
      "-out",
      `${base}.crt`,
      "-days",
      "2",
      "-extfile",
      `${base}.ext`,
    ]);
    return { cert: `${base}.crt`, key: `${base}.key` };
  }

  /** root → intermediate → leaf for `name`; the cert file holds leaf then intermediate. */
  chain(name: string): CertFiles & { root: string } {
    const root = this.authority("test root");
    const intermediate = this.issue(
      root,
      "test intermediate",
      "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    );
    const leaf = this.issue(intermediate, name, `subjectAltName=DNS:${name}\nbasicConstraints=CA:FALSE\n`);
    const cert = `${leaf.cert.slice(0, -".crt".length)}-chain.crt`;
    fs.writeFileSync(cert, fs.readFileSync(leaf.cert, "utf8") + fs.readFileSync(intermediate.cert, "utf8"));
    return { cert, key: leaf.key, root: root.cert };
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
