// PUT and DELETE of files under the root (off unless --writable). An upload is received whole into a
// temporary file in the target's directory *before* any lock is taken; then, under the URI's
// exclusive lock, it is renamed into place (atomic), the URI's version is bumped so every thread's
// cache sees the change, and the response (with its audit line) is sent. A failed or aborted upload
// leaves the old file untouched and no temporary file behind.

import { randomBytes } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { LockTable } from "../common/lock-table.ts";
import type { Handler } from "../http/handler.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { sendStatus, statusForFsError } from "./errors.ts";
import { resolvePath } from "./resolve.ts";

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
  /** Called under the write lock after a file changed, with its real path. */
  readonly changed?: (file: string) => void;
}

/** 0 when a directory may be written into, else the status to answer. */
type DirectoryStatus = 0 | 403 | 404 | 500;

export class WriteHandler implements Handler {
  readonly #options: WriteOptions;

  constructor(options: WriteOptions) {
    this.#options = options;
  }

  handle(req: Request, res: Response): boolean | Promise<boolean> {
    if (req.method === "PUT") return this.#put(req, res).then(() => true);
    if (req.method === "DELETE") return this.#delete(req, res).then(() => true);
    return false;
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
    const temp = path.join(dir, `.${path.basename(target.file).slice(0, 64)}.${randomBytes(6).toString("hex")}.portico-upload`);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(temp, "wx", 0o644);
    } catch (error) {
      sendStatus(res, statusForFsError(error));
      return;
    }
    let received: boolean;
    try {
      received = await receiveBody(req, handle);
      if (received && this.#options.fsync) await handle.sync();
    } catch {
      received = false;
    } finally {
      await handle.close().catch(() => undefined);
    }
    if (!received) {
      // The connection has answered the client (413, 400, 408) or the client left; drop the upload.
      await fsp.unlink(temp).catch(() => undefined);
      return;
    }
    await this.#commit(req, res, target, temp);
  }

  /** Renames the complete upload into place under the URI's exclusive lock and answers. */
  async #commit(req: Request, res: Response, target: { key: string; file: string }, temp: string): Promise<void> {
    const locks = this.#options.locks;
    const slot = locks.slotOf(target.key);
    const wait = locks.write(slot);
    if (wait !== undefined) await wait;
    try {
      let existed = false;
      try {
        const stat = await fsp.lstat(target.file);
        if (stat.isDirectory()) {
          await fsp.unlink(temp).catch(() => undefined);
          sendStatus(res, 403);
          return;
        }
        existed = true;
      } catch {
        existed = false;
      }
      try {
        await fsp.rename(temp, target.file);
      } catch (error) {
        await fsp.unlink(temp).catch(() => undefined);
        sendStatus(res, statusForFsError(error));
        return;
      }
      if (this.#options.fsync) await syncDirectory(path.dirname(target.file));
      locks.bump(slot);
      this.#options.changed?.(target.file);
      if (req.aborted) return;
      if (existed) sendStatus(res, 200);
      else sendStatus(res, 201, ["Location", req.path]);
    } finally {
      locks.releaseWrite(slot);
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
    const locks = this.#options.locks;
    const slot = locks.slotOf(target.key);
    const wait = locks.write(slot);
    if (wait !== undefined) await wait;
    try {
      const stat = await fsp.lstat(target.file);
      if (stat.isDirectory()) {
        sendStatus(res, 403);
        return;
      }
      await fsp.unlink(target.file);
      locks.bump(slot);
      this.#options.changed?.(target.file);
      res.send(204, []);
    } catch (error) {
      sendStatus(res, statusForFsError(error));
    } finally {
      locks.releaseWrite(slot);
    }
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
      await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
    } catch (error) {
      return statusForFsError(error);
    }
    return this.#checkJail(dir);
  }

  async #checkJail(dir: string): Promise<DirectoryStatus> {
    try {
      const real = await fsp.realpath(dir);
      const root = this.#options.root;
      if (!this.#options.followSymlinks && real !== root && !real.startsWith(root + path.sep)) return 404;
      const stat = await fsp.stat(real);
      return stat.isDirectory() ? 0 : 404;
    } catch (error) {
      return statusForFsError(error);
    }
  }
}

/** Streams the request body into `handle`, pausing the socket while a write is pending. */
function receiveBody(req: Request, handle: fsp.FileHandle): Promise<boolean> {
  return new Promise((resolve) => {
    let writing: Promise<unknown> = Promise.resolve();
    let failed = false;
    let pending = 0;
    req.readBody({
      data(chunk) {
        // The chunk is a view into the connection's buffer: copy before the next read reuses it.
        const copy = Buffer.from(chunk);
        pending++;
        writing = writing.then(async () => {
          if (failed) return;
          try {
            await handle.write(copy);
          } catch {
            failed = true;
          }
          if (--pending === 0) req.resumeBody();
        });
        return false;
      },
      end() {
        void writing.then(() => resolve(!failed));
      },
      error() {
        failed = true;
        void writing.then(() => resolve(false));
      },
    });
  });
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, "r").catch(() => null);
  if (handle === null) return;
  await handle.sync().catch(() => undefined);
  await handle.close().catch(() => undefined);
}
