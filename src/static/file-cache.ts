// Small files kept in memory with everything needed to answer for them: validators, the prepared
// 200 response, and room for variants (compressed bodies, 304 heads) built once on first need.
// An LRU bounded by bytes; entries older than the revalidation bound are re-checked against the disk
// before use, so files changed behind the server's back are seen within that bound.

import type { PreparedResponse } from "../http/response.ts";
import type { MimeType } from "./mime.ts";

export class FileEntry {
  readonly key: string;
  /** Absolute real path of the file on disk. */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly etag: string;
  readonly lastModified: string;
  readonly mime: MimeType;
  /** The file's bytes; null for files too large to cache (metadata only). */
  readonly body: Buffer | null;
  /** The full 200 response for GET/HEAD without conditions; null when not cached. */
  ok: PreparedResponse | null = null;
  /** Further prepared responses (304, compressed variants…), keyed by their builder. */
  readonly variants = new Map<string, PreparedResponse>();
  /** When the disk was last checked (ms since the epoch). */
  checkedAt: number;
  /** A request is re-checking this entry against the disk right now. */
  revalidating = false;
  /** Bytes this entry accounts for in the cache budget. */
  cost: number;

  constructor(key: string, path: string, size: number, mtimeMs: number, ino: number, mime: MimeType, body: Buffer | null, now: number) {
    this.key = key;
    this.path = path;
    this.size = size;
    this.mtimeMs = mtimeMs;
    this.ino = ino;
    this.mime = mime;
    this.body = body;
    // A strong validator from inode, size and mtime (ns precision lost to ms is fine: size changes too).
    this.etag = `"${ino.toString(36)}-${size.toString(36)}-${Math.floor(mtimeMs).toString(36)}"`;
    this.lastModified = new Date(Math.floor(mtimeMs / 1000) * 1000).toUTCString();
    this.checkedAt = now;
    this.cost = (body?.length ?? 0) * 2 + 512;
  }

  /** True when the disk's metadata still describes this entry. */
  matches(size: number, mtimeMs: number, ino: number): boolean {
    return size === this.size && mtimeMs === this.mtimeMs && ino === this.ino;
  }

  /** Adds the size of a cached variant to this entry's cost (the cache re-balances on next insert). */
  addCost(bytes: number): void {
    this.cost += bytes;
  }
}

export class FileCache {
  readonly #entries = new Map<string, FileEntry>();
  readonly #maxBytes: number;
  #bytes = 0;
  /** The entry at the young end of the LRU order, or null when unknown. */
  #youngest: FileEntry | null = null;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The entry for a key, marked most recently used. */
  get(key: string): FileEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry !== this.#youngest) {
      // Re-insert to move it to the young end of the Map's iteration order (LRU). A hot file asked
      // for again and again is already there: skipping the delete + set keeps the fast path cheap.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      this.#youngest = entry;
    }
    return entry;
  }

  set(entry: FileEntry): void {
    const previous = this.#entries.get(entry.key);
    if (previous !== undefined) {
      this.#entries.delete(entry.key);
      this.#bytes -= previous.cost;
      if (previous === this.#youngest) this.#youngest = null;
    }
    if (entry.cost > this.#maxBytes) return;
    this.#entries.set(entry.key, entry);
    this.#youngest = entry;
    this.#bytes += entry.cost;
    this.#evict();
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.cost;
    if (entry === this.#youngest) this.#youngest = null;
  }

  /** Drops every entry whose file is `path` (all request paths that mapped to it). */
  deletePath(path: string): void {
    for (const [key, entry] of this.#entries) {
      if (entry.path === path) {
        this.#entries.delete(key);
        this.#bytes -= entry.cost;
        if (entry === this.#youngest) this.#youngest = null;
      }
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#youngest = null;
    this.#bytes = 0;
  }

  /** Re-counts costs (after variants were added) and evicts down to the budget. */
  rebalance(): void {
    let total = 0;
    for (const entry of this.#entries.values()) total += entry.cost;
    this.#bytes = total;
    this.#evict();
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  #evict(): void {
    if (this.#bytes <= this.#maxBytes) return;
    for (const [key, entry] of this.#entries) {
      this.#entries.delete(key);
      this.#bytes -= entry.cost;
      if (entry === this.#youngest) this.#youngest = null;
      if (this.#bytes <= this.#maxBytes) return;
    }
  }
}
