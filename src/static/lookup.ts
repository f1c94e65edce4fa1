// Maps a resolved relative path to what is on disk: the real path inside the root (the symlink jail),
// files, directories and their index files, precompressed siblings, and file bytes for the cache.
// All of the static handler's file system access except listings and streaming lives here.

import fs from "node:fs";
import * as fsa from "../common/fs-async.ts";
import path from "node:path";
import { type FsErrorStatus, statusForFsError } from "./errors.ts";
import { type FileStat, SIBLING_SUFFIXES } from "./file-entry.ts";

export type Lookup =
  | { readonly kind: "file"; readonly path: string; readonly stat: FileStat; readonly viaIndex: boolean }
  | { readonly kind: "directory"; readonly path: string }
  | { readonly kind: "error"; readonly status: FsErrorStatus; readonly error: unknown };

export interface LookupOptions {
  readonly followSymlinks: boolean;
  /** Serve hidden names; when false, a symlink cannot lead to one either (its real path is checked too). */
  readonly dotfiles?: boolean;
  /** Index file names tried in order for a directory. */
  readonly index: readonly string[];
}

export class DiskMap {
  /** Real path of the root. */
  readonly root: string;
  readonly #prefix: string;
  readonly #options: LookupOptions;

  constructor(realRoot: string, options: LookupOptions) {
    this.root = realRoot;
    this.#prefix = realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep;
    this.#options = options;
  }

  /** Finds the file for a relative path (already resolved by resolve.ts), trying index files for a directory. */
  async find(relative: string): Promise<Lookup> {
    const candidate = relative === "" ? this.root : path.join(this.root, relative);
    const target = await this.stat(candidate);
    if (target.kind !== "directory") return target;
    for (const name of this.#options.index) {
      const index = await this.stat(path.join(target.path, name));
      if (index.kind === "file") return { kind: "file", path: index.path, stat: index.stat, viaIndex: true };
      if (index.kind === "error" && index.status !== 404) return index;
    }
    return target;
  }

  /** Real path and metadata of one candidate; outside the root counts as missing unless symlinks are followed. */
  async stat(candidate: string): Promise<Lookup> {
    try {
      const real = await fsa.realpath(candidate);
      if (!this.isInside(real)) return { kind: "error", status: 404, error: null };
      const stat = await fsa.stat(real);
      if (stat.isDirectory()) return { kind: "directory", path: real };
      if (!stat.isFile()) return { kind: "error", status: 404, error: null };
      return {
        kind: "file",
        path: real,
        stat: { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino },
        viaIndex: false,
      };
    } catch (error) {
      return { kind: "error", status: statusForFsError(error), error };
    }
  }

  /**
   * True when a real path may be served: inside the root (or anywhere with --follow-symlinks), and — unless
   * dotfiles are allowed — with no hidden segment below the root, so a symlink cannot expose `.git` either.
   */
  isInside(real: string): boolean {
    if (real === this.root) return true;
    const inside = real.startsWith(this.#prefix);
    if (!inside) return this.#options.followSymlinks;
    return this.#options.dotfiles === true || !hasHiddenSegment(real, this.#prefix.length);
  }

  /** Precompressed siblings of a file (name + .br, .zst, .gz) that may be served: real path and metadata. */
  async siblings(file: string): Promise<Array<(FileStat & { readonly path: string }) | null>> {
    return Promise.all(
      SIBLING_SUFFIXES.map(async (suffix) => {
        const found = await this.stat(file + suffix);
        return found.kind === "file" ? { ...found.stat, path: found.path } : null;
      }),
    );
  }
}

/**
 * Flags for opening a file found by real path: never through a symlink swapped in since (the jail), and
 * never blocking on a FIFO swapped in since (a thread-pool thread would hang).
 */
export const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW;

/** Opens a regular file for reading and reads its metadata through the descriptor (bytes and stat agree). */
export async function openFile(file: string): Promise<{ fd: number; stat: FileStat }> {
  const fd = await new Promise<number>((resolve, reject) =>
    fs.open(file, OPEN_FLAGS, (error, n) => (error === null ? resolve(n) : reject(error))),
  );
  try {
    const stat = await new Promise<fs.Stats>((resolve, reject) =>
      fs.fstat(fd, (error, st) => (error === null ? resolve(st) : reject(error))),
    );
    if (!stat.isFile()) throw Object.assign(new Error(`${file} is no longer a regular file`), { code: "ENOENT" });
    return { fd, stat: { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino } };
  } catch (error) {
    fs.close(fd, () => {});
    throw error;
  }
}

/** Whether `real` has a segment starting with "." after `from` (/.well-known/ at the top is not hidden). */
function hasHiddenSegment(real: string, from: number): boolean {
  let start = from;
  while (start < real.length) {
    let end = real.indexOf(path.sep, start);
    if (end === -1) end = real.length;
    if (real.charCodeAt(start) === 0x2e && !(start === from && real.slice(start, end) === ".well-known")) return true;
    start = end + 1;
  }
  return false;
}

/** Reads an open file from its start to its end; the descriptor stays open. */
export function readOpenFile(fd: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    fs.readFile(fd, (error, data) => (error === null ? resolve(data) : reject(error))),
  );
}

/** Reads a whole file; null when it is gone, unreadable or no longer `size` bytes long (changed meanwhile). */
export async function readWhole(file: string, size: number): Promise<Buffer | null> {
  try {
    const body = await fsa.readFile(file);
    return body.length === size ? body : null;
  } catch {
    return null;
  }
}
