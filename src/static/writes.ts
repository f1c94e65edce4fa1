// PUT and DELETE of files under the root (off unless --writable). An upload is received whole into a
// temporary file in the target's directory *before* any lock is taken; then, under the URI's
// exclusive lock, it is renamed into place (atomic), the URI's version is bumped so every thread's
// cache sees the change, and the response (with its audit line) is sent. A failed or aborted upload
// leaves the old file untouched and no temporary file behind; what a killed process left behind is
// swept (upload-files.ts) the first time a write touches its directory.

import { Buffer } from "node:buffer";
import fs from "node:fs";
import * as fsa from "../common/fs-async.ts";
import path from "node:path";
import type { LockTable } from "../common/lock-table.ts";
import type { Handler } from "../http/handler.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { type FsErrorStatus, reportFsError, sendStatus } from "./errors.ts";
import { reportUploadsSwept } from "./events.ts";
import { affectedListings, listingVersionKey } from "./listing-cache.ts";
import { resolvePath } from "./resolve.ts";
import { STALE_MARGIN_MS, UploadSweeper, uploadTempName } from "./upload-files.ts";

export interface WriteOptions {
  /** Real path of the root. */
  readonly root: string;
  readonly dotfiles: boolean;
  readonly followSymlinks: boolean;
  /** Create missing parent directories (otherwise 404). */
  readonly mkdir: boolean;
  /** fsync the file (and its directory after the rename) before answering. */
  readonly fsync: boolean;
  readonly locks: LockTable;
  /** Status for a PUT without Content-Length or chunked body: 411 (RFC 9110 §15.5.12), or 400. */
  readonly lengthRequiredStatus: 400 | 411;
  /** Index file names: writing one changes what its directory's URL serves. */
  readonly index: readonly string[];
  /** Paths another handler owns (a proxy prefix): PUT/DELETE there are declined, not written. */
  readonly declines?: (path: string) => boolean;
  /** Called under the write lock after a file changed, with its real path. */
  readonly changed?: (file: string) => void;
  /** The body timeout: an upload silent this long is aborted, so its leftovers can be judged by age. */
  readonly bodyTimeoutMs: number;
}

/** Directories remembered as swept; past this many the memory starts over. */
const SWEPT_LIMIT = 4096;

/** 0 when a directory may be written into, else the status to answer. */
type DirectoryStatus = 0 | FsErrorStatus;

export class WriteHandler implements Handler {
  readonly #options: WriteOptions;
  readonly #sweeper: UploadSweeper;
  readonly #swept = new Set<string>();

  constructor(options: WriteOptions) {
    this.#options = options;
    this.#sweeper = new UploadSweeper({
      dotfiles: options.dotfiles,
      staleMs: options.bodyTimeoutMs + STALE_MARGIN_MS,
    });
  }

  handle(req: Request, res: Response): boolean | Promise<boolean> {
    if (req.method !== "PUT" && req.method !== "DELETE") return false;
    if (this.#options.declines?.(req.path) === true) return false;
    return (req.method === "PUT" ? this.#put(req, res) : this.#delete(req, res)).then(() => true);
  }

  /** The target's relative path (also the lock key) and absolute path, or an error already sent. */
  #target(req: Request, res: Response): { key: string; file: string } | null {
    const resolved = resolvePath(req.path, { dotfiles: this.#options.dotfiles });
    if (!resolved.ok) {
      sendStatus(res, resolved.status);
      return null;
    }
    if (resolved.relative === "" || resolved.trailingSlash) {
      sendStatus(res, 403);
      return null;
    }
    return { key: resolved.relative, file: path.join(this.#options.root, resolved.relative) };
  }

  async #put(req: Request, res: Response): Promise<void> {
    if (!req.chunked && req.contentLength < 0) {
      sendStatus(res, this.#options.lengthRequiredStatus);
      return;
    }
    const target = this.#target(req, res);
    if (target === null) return;
    const dir = path.dirname(target.file);
    const dirStatus = await this.#prepareDirectory(dir);
    if (dirStatus !== 0) {
      sendStatus(res, dirStatus);
      return;
    }
    this.#sweepOnce(dir);
    const temp = uploadTempName(target.file);
    let fd: number;
    try {
      fd = await fsa.open(temp, "wx", 0o644);
    } catch (error) {
      sendStatus(res, reportFsError(req.path, error));
      return;
    }
    let received: Received;
    try {
      received = await receiveBody(req, fd);
      if (received === "complete" && this.#options.fsync) await fsa.fsync(fd);
    } catch {
      received = "disk-error";
    } finally {
      await fsa.close(fd).catch(() => undefined);
    }
    if (received !== "complete") {
      await fsa.unlink(temp).catch(() => undefined);
      // A body failure was answered by the connection (413, 400, 408) or the client left. A disk
      // failure is ours to answer; the rest of the body is not read, so the connection then closes.
      if (received === "disk-error" && !res.headersSent && !req.aborted) {
        res.closeAfter();
        sendStatus(res, 500);
      }
      return;
    }
    await this.#commit(req, res, target, temp);
  }

  /**
   * The first write into a directory removes the temporary files a stopped process left there, in
   * the background (the supervisor also sweeps the whole root at start).
   */
  #sweepOnce(dir: string): void {
    if (this.#swept.has(dir)) return;
    if (this.#swept.size >= SWEPT_LIMIT) this.#swept.clear();
    this.#swept.add(dir);
    void this.#sweeper.sweepDirectory(dir).then((swept) => {
      if (swept.files > 0) reportUploadsSwept(dir, swept.files, swept.bytes);
    });
  }

  /** Renames the complete upload into place under the URI's exclusive lock and answers. */
  async #commit(req: Request, res: Response, target: { key: string; file: string }, temp: string): Promise<void> {
    const slots = await this.#lockFor(target.key);
    try {
      let existed = false;
      try {
        const stat = await fsa.lstat(target.file);
        if (stat.isDirectory()) {
          await fsa.unlink(temp).catch(() => undefined);
          sendStatus(res, 403);
          return;
        }
        existed = true;
      } catch {
        existed = false;
      }
      try {
        await fsa.rename(temp, target.file);
      } catch (error) {
        await fsa.unlink(temp).catch(() => undefined);
        sendStatus(res, reportFsError(req.path, error));
        return;
      }
      if (this.#options.fsync) await syncDirectory(path.dirname(target.file));
      this.#bump(slots);
      this.#bumpListings(target.key);
      this.#options.changed?.(target.file);
      // Answered even when the client is gone: the answer writes the audit line, and a write that
      // happened must be in the log (the order of operations that seed 000 replays).
      if (existed) sendStatus(res, 200);
      else sendStatus(res, 201, ["Location", req.path]);
    } finally {
      this.#unlock(slots);
    }
  }

  async #delete(req: Request, res: Response): Promise<void> {
    const target = this.#target(req, res);
    if (target === null) return;
    const jail = await this.#checkJail(path.dirname(target.file));
    if (jail !== 0) {
      sendStatus(res, jail);
      return;
    }
    const slots = await this.#lockFor(target.key);
    try {
      const stat = await fsa.lstat(target.file);
      if (stat.isDirectory()) {
        sendStatus(res, 403);
        return;
      }
      await fsa.unlink(target.file);
      this.#bump(slots);
      this.#bumpListings(target.key);
      this.#options.changed?.(target.file);
      res.send(204, []);
    } catch (error) {
      sendStatus(res, reportFsError(req.path, error));
    } finally {
      this.#unlock(slots);
    }
  }

  /**
   * Takes the exclusive locks a change of `key` needs: its own, and — for an index file — its
   * directory's, because a read of "/dir/" is locked and versioned under the directory. Always in
   * ascending slot order, so two writers never wait on each other in opposite orders.
   */
  async #lockFor(key: string): Promise<number[]> {
    const locks = this.#options.locks;
    const slots: number[] = [];
    const slash = key.lastIndexOf("/");
    if (this.#options.index.includes(key.slice(slash + 1)))
      slots.push(locks.slotOf(slash === -1 ? "" : key.slice(0, slash)));
    const own = locks.slotOf(key);
    if (!slots.includes(own)) slots.push(own);
    slots.sort((a, b) => a - b);
    for (const slot of slots) {
      const wait = locks.write(slot);
      if (wait !== undefined) await wait;
    }
    return slots;
  }

  #bump(slots: readonly number[]): void {
    for (const slot of slots) this.#options.locks.bump(slot);
  }

  /**
   * Voids the listings a change shows in, on every thread: its directory's (a new, resized or removed
   * entry) and its ancestors' (a directory's time changes; --mkdir adds directories). Versions only:
   * listings take no lock for this.
   */
  #bumpListings(key: string): void {
    const locks = this.#options.locks;
    for (const dir of affectedListings(key)) locks.bump(locks.slotOf(listingVersionKey(dir)));
  }

  #unlock(slots: readonly number[]): void {
    for (let i = slots.length - 1; i >= 0; i--) this.#options.locks.releaseWrite(slots[i]!);
  }

  /** 0 when `dir` exists inside the root (created with --mkdir), else the status to answer. */
  async #prepareDirectory(dir: string): Promise<DirectoryStatus> {
    const status = await this.#checkJail(dir);
    if (status !== 404 || !this.#options.mkdir) return status;
    // Create from the deepest existing ancestor, which must itself be inside the root.
    let existing = dir;
    while (existing !== this.#options.root && !fs.existsSync(existing)) existing = path.dirname(existing);
    const ancestor = await this.#checkJail(existing);
    if (ancestor !== 0) return ancestor;
    try {
      await fsa.mkdirp(dir, 0o755);
    } catch (error) {
      return reportFsError(dir, error);
    }
    return this.#checkJail(dir);
  }

  async #checkJail(dir: string): Promise<DirectoryStatus> {
    try {
      const real = await fsa.realpath(dir);
      const root = this.#options.root;
      if (!this.#options.followSymlinks && real !== root && !real.startsWith(root + path.sep)) return 404;
      const stat = await fsa.stat(real);
      return stat.isDirectory() ? 0 : 404;
    } catch (error) {
      return reportFsError(dir, error);
    }
  }
}

/** How receiving an upload ended. */
type Received = "complete" | "aborted" | "disk-error";

/**
 * Streams the request body into file descriptor `fd`, pausing the socket while a write is pending. "aborted": the
 * body failed (the connection answers the client); "disk-error": a write failed (the caller answers).
 */
function receiveBody(req: Request, fd: number): Promise<Received> {
  return new Promise((resolve) => {
    let chain: Promise<void> = Promise.resolve();
    let state: Received | "reading" = "reading";
    let pending = 0;
    let settled = false;
    const settle = (outcome: Received): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    req.readBody({
      data(chunk) {
        if (state !== "reading") return true;
        // The chunk is a view into the connection's buffer: copy before the next read reuses it.
        const copy = Buffer.from(chunk);
        pending++;
        chain = chain.then(async () => {
          if (state === "reading") {
            try {
              await writeAll(fd, copy);
            } catch {
              state = "disk-error";
              settle("disk-error");
            }
          }
          if (--pending === 0 && state === "reading") req.resumeBody();
        });
        return false;
      },
      end() {
        void chain.then(() => settle(state === "reading" ? "complete" : state));
      },
      error() {
        if (state === "reading") state = "aborted";
        void chain.then(() => settle(state === "reading" ? "aborted" : state));
      },
    });
  });
}

/** Writes every byte: a file write may be short without failing (a full disk, a file size limit). */
async function writeAll(fd: number, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const bytesWritten = await fsa.write(fd, bytes, offset, bytes.length - offset);
    if (bytesWritten <= 0) throw new Error("the file system took no bytes");
    offset += bytesWritten;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const fd = await fsa.open(dir, "r").catch(() => null);
  if (fd === null) return;
  await fsa.fsync(fd).catch(() => undefined);
  await fsa.close(fd).catch(() => undefined);
}
