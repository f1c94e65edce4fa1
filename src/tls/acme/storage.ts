// The data directory's ACME state: the account key and URL per CA, each name's certificate, key and
// renewal notes, and one lock file per name so that two Portico processes sharing the directory never
// order the same name at once. Keys are written 0600 in 0700 directories, through a temporary file
// renamed into place, so a crash never leaves half a key. Layout (like Caddy's):
//   acme/<ca>/account.key, account.json            certificates/<ca>/<name>/cert.pem, key.pem, meta.json
//   locks/<ca>-<name>.lock                           challenges/<token> (HTTP-01 answers under way)
// Not here: the protocol (client.ts), scheduling (manager.ts).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TlsError } from "../errors.ts";

export interface StoredCertificate {
  readonly cert: string;
  readonly key: string;
  /** When Portico should look again at the CA's renewal information (RFC 9773), 0 for now. */
  readonly ariCheckAt: number;
}

/** A lock older than this with no refresh is taken to be left by a process that died. */
const STALE_LOCK_MS = 10 * 60_000;

/** A directory name for a CA's directory URL: "acme-v02.api.letsencrypt.org-directory". */
export function caDirectoryName(url: string): string {
  const u = new URL(url);
  return `${u.host}${u.pathname}`.replace(/[^a-zA-Z0-9.-]+/g, "-").replace(/-+$/, "");
}

/** Where HTTP-01 answers are published in a data directory (see AcmeStorage.writeChallenge). */
export function challengeDirectory(dataDir: string): string {
  return path.join(dataDir, "challenges");
}

export class AcmeStorage {
  readonly root: string;
  readonly #ca: string;

  constructor(dataDir: string, directoryUrl: string) {
    this.root = dataDir;
    this.#ca = caDirectoryName(directoryUrl);
  }

  #dir(...parts: string[]): string {
    const dir = path.join(this.root, ...parts);
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new TlsError("STORAGE", `--data-dir: cannot create ${dir}: ${(error as Error).message}`);
    }
    return dir;
  }

  #read(file: string): string | null {
    try {
      return fs.readFileSync(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new TlsError("STORAGE", `--data-dir: cannot read ${file}: ${(error as Error).message}`);
    }
  }

  #write(file: string, text: string, mode: number): void {
    const temp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(temp, text, { mode });
      fs.chmodSync(temp, mode);
      fs.renameSync(temp, file);
    } catch (error) {
      fs.rmSync(temp, { force: true });
      throw new TlsError("STORAGE", `--data-dir: cannot write ${file}: ${(error as Error).message}`);
    }
  }

  readAccount(): { key: string; url: string | null } | null {
    const dir = this.#dir("acme", this.#ca);
    const key = this.#read(path.join(dir, "account.key"));
    if (key === null) return null;
    const meta = this.#read(path.join(dir, "account.json"));
    let url: string | null = null;
    if (meta !== null) {
      try {
        url = (JSON.parse(meta) as { url?: string }).url ?? null;
      } catch {
        url = null;
      }
    }
    return { key, url };
  }

  writeAccountKey(key: string): void {
    this.#write(path.join(this.#dir("acme", this.#ca), "account.key"), key, 0o600);
  }

  writeAccountUrl(url: string): void {
    this.#write(path.join(this.#dir("acme", this.#ca), "account.json"), `${JSON.stringify({ url })}\n`, 0o600);
  }

  readCertificate(name: string): StoredCertificate | null {
    const dir = this.#dir("certificates", this.#ca, name);
    const cert = this.#read(path.join(dir, "cert.pem"));
    const key = this.#read(path.join(dir, "key.pem"));
    if (cert === null || key === null) return null;
    let ariCheckAt = 0;
    const meta = this.#read(path.join(dir, "meta.json"));
    if (meta !== null) {
      try {
        ariCheckAt = Number((JSON.parse(meta) as { ariCheckAt?: number }).ariCheckAt ?? 0);
      } catch {
        ariCheckAt = 0;
      }
    }
    return { cert, key, ariCheckAt };
  }

  /** The key first, then the certificate: a reader never pairs a new certificate with an old key. */
  writeCertificate(name: string, cert: string, key: string): void {
    const dir = this.#dir("certificates", this.#ca, name);
    this.#write(path.join(dir, "key.pem.next"), key, 0o600);
    this.#write(path.join(dir, "cert.pem.next"), cert, 0o644);
    try {
      fs.renameSync(path.join(dir, "key.pem.next"), path.join(dir, "key.pem"));
      fs.renameSync(path.join(dir, "cert.pem.next"), path.join(dir, "cert.pem"));
    } catch (error) {
      throw new TlsError("STORAGE", `--data-dir: cannot store the certificate of ${name}: ${(error as Error).message}`);
    }
    this.writeNotes(name, 0);
  }

  writeNotes(name: string, ariCheckAt: number): void {
    const dir = this.#dir("certificates", this.#ca, name);
    this.#write(path.join(dir, "meta.json"), `${JSON.stringify({ ariCheckAt })}\n`, 0o644);
  }

  /**
   * Publishes an HTTP-01 answer where every Portico process sharing the directory can serve it (the
   * process that orders may not be the one the CA reaches).
   */
  writeChallenge(token: string, keyAuthorization: string): void {
    this.#write(path.join(this.#dir("challenges"), token), keyAuthorization, 0o644);
  }

  removeChallenge(token: string): void {
    fs.rmSync(path.join(this.root, "challenges", token), { force: true });
  }

  /**
   * Takes the lock for ordering `name`, or returns null when another live process holds it. A lock
   * whose holder is gone (a dead pid on this host, or no refresh for ten minutes) is taken over.
   */
  lock(name: string): NameLock | null {
    const file = path.join(this.#dir("locks"), `${this.#ca}-${name}.lock`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(file, "wx", 0o600);
        fs.writeSync(fd, `${JSON.stringify({ pid: process.pid, host: os.hostname(), at: Date.now() })}\n`);
        fs.closeSync(fd);
        return new NameLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST")
          throw new TlsError("STORAGE", `--data-dir: cannot create ${file}: ${(error as Error).message}`);
      }
      if (!isStale(file)) return null;
      fs.rmSync(file, { force: true });
    }
    return null;
  }
}

function isStale(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    if (Date.now() - stat.mtimeMs > STALE_LOCK_MS) return true;
    const holder = JSON.parse(fs.readFileSync(file, "utf8")) as { pid?: number; host?: string };
    if (holder.host !== os.hostname() || typeof holder.pid !== "number") return false;
    try {
      process.kill(holder.pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "ESRCH";
    }
  } catch {
    // Gone meanwhile, or half-written by a holder that is starting: try again later.
    return false;
  }
}

/** A held lock: refreshed while the order runs (so it never looks stale), removed when done. */
export class NameLock {
  readonly #file: string;
  readonly #timer: NodeJS.Timeout;

  constructor(file: string) {
    this.#file = file;
    this.#timer = setInterval(() => {
      const now = new Date();
      fs.utimes(file, now, now, () => {});
    }, 60_000);
    this.#timer.unref();
  }

  release(): void {
    clearInterval(this.#timer);
    fs.rmSync(this.#file, { force: true });
  }
}
