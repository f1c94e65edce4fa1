// Files handlers of one worker: one StaticHandler (and its cache) per root and settings, shared by
// every route that serves them the same way; writes (PUT/DELETE) in front when the route enables them.

import type { LockTable } from "../common/lock-table.ts";
import type { FilesHandlerModel } from "../config/model.ts";
import { type Handler, HandlerChain } from "../http/handler.ts";
import { StaticHandler } from "../static/handler.ts";
import { WriteHandler } from "../static/writes.ts";

export class FilesBuilder {
  readonly #locks: LockTable;
  readonly #lengthRequiredStatus: 400 | 411;
  readonly #bodyTimeoutMs: number;
  readonly #made = new Map<string, Handler>();

  /** `bodyTimeoutMs`: the server-wide body timeout, the longest any route's upload may stay silent. */
  constructor(locks: LockTable, lengthRequiredStatus: 400 | 411, bodyTimeoutMs: number) {
    this.#locks = locks;
    this.#lengthRequiredStatus = lengthRequiredStatus;
    this.#bodyTimeoutMs = bodyTimeoutMs;
  }

  /** `fallthrough`: decline what is missing (files in front of a proxy). */
  handler(model: FilesHandlerModel, fallthrough: boolean): Handler {
    const key = JSON.stringify([model.root, model.settings, fallthrough]);
    let made = this.#made.get(key);
    if (made === undefined) {
      made = this.#make(model, fallthrough);
      this.#made.set(key, made);
    }
    return made;
  }

  #make(model: FilesHandlerModel, fallthrough: boolean): Handler {
    const s = model.settings;
    const files = new StaticHandler({
      root: model.root,
      index: s.index,
      dotfiles: s.dotfiles === "allow",
      followSymlinks: s.followSymlinks,
      listing: s.listing,
      spa: s.spa,
      compress: s.compress,
      compressMinBytes: s.compressMinBytes,
      cacheMaxFileBytes: s.cacheMaxFileBytes,
      cacheMaxBytes: s.cacheMaxBytes,
      revalidateMs: s.revalidateMs,
      cacheControl: s.cacheControl,
      ...(s.writable ? { locks: this.#locks } : {}),
      fallthrough,
    });
    if (!s.writable) return files;
    const writes = new WriteHandler({
      root: model.root,
      dotfiles: s.dotfiles === "allow",
      followSymlinks: s.followSymlinks,
      mkdir: s.mkdir,
      fsync: s.fsync,
      index: s.index,
      locks: this.#locks,
      lengthRequiredStatus: this.#lengthRequiredStatus,
      changed: (file) => files.cache.invalidatePath(file),
      bodyTimeoutMs: this.#bodyTimeoutMs,
    });
    return new HandlerChain([writes, files]);
  }
}
