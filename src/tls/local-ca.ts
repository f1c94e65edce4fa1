// The local CA behind --tls internal: a root made once under <data-dir>/pki (root.crt, root.key
// 0600), and short-lived leaf certificates it signs for the site's names, localhost and the
// listening addresses, issued at start and again when a third of their lifetime remains. A browser
// trusts them once the root is trusted (`portico trust` prints how); the root key never leaves the
// data directory and the main thread.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type CertificatePair, checkCertificatePair } from "./certificate.ts";
import { TlsError } from "./errors.ts";
import { rootCertificatePath } from "./trust.ts";
import { createRootCertificate, generateKeyPair, importKeyPair, issueLeafCertificate, type KeyPair } from "./x509.ts";

/** Roots live ten years: trusting one is a manual step nobody should have to repeat soon. */
const ROOT_LIFETIME_MS = 10 * 365 * 86_400_000;
/** Leaves live a day (Caddy's are 12 hours): a leaked key is worth little, and renewal is local. */
export const LEAF_LIFETIME_MS = 24 * 60 * 60_000;

export class LocalCa {
  readonly rootFile: string;
  readonly #root: string;
  readonly #keys: KeyPair;

  private constructor(rootFile: string, root: string, keys: KeyPair) {
    this.rootFile = rootFile;
    this.#root = root;
    this.#keys = keys;
  }

  /** Opens the CA under `dataDir`, creating it the first time. */
  static async open(dataDir: string): Promise<LocalCa> {
    const dir = path.join(dataDir, "pki");
    const rootFile = rootCertificatePath(dataDir);
    const keyFile = path.join(dir, "root.key");
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (fs.existsSync(rootFile) && fs.existsSync(keyFile)) {
        const root = fs.readFileSync(rootFile, "utf8");
        const keys = await importKeyPair(fs.readFileSync(keyFile, "utf8"));
        return new LocalCa(rootFile, root, keys);
      }
      const keys = await generateKeyPair();
      const root = await createRootCertificate(`Portico Local CA (${os.hostname()})`, keys, ROOT_LIFETIME_MS);
      // The key first, so a root on disk always has its key.
      fs.writeFileSync(keyFile, keys.pem, { mode: 0o600 });
      fs.writeFileSync(rootFile, root, { mode: 0o644 });
      return new LocalCa(rootFile, root, keys);
    } catch (error) {
      if (error instanceof TlsError) throw error;
      throw new TlsError("STORAGE", `--data-dir: cannot open the local CA in ${dir}: ${(error as Error).message}`);
    }
  }

  /** A fresh leaf for `names` and `addresses` (sent alone: clients hold the root). */
  async issue(names: readonly string[], addresses: readonly string[]): Promise<CertificatePair> {
    const keys = await generateKeyPair();
    const leaf = await issueLeafCertificate(
      { cert: this.#root, keys: this.#keys },
      names,
      addresses,
      keys,
      LEAF_LIFETIME_MS,
    );
    return checkCertificatePair(leaf, keys.pem, "the local CA's certificate");
  }
}
