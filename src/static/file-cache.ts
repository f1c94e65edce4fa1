// The in-memory file cache: FileEntry objects by request path in an LRU bounded by bytes. Entries carry
// their own validators and prepared responses (file-entry.ts); this file only decides what stays.
// Not here: freshness (the handler re-checks an entry older than its revalidation bound against the disk).

import type { FileEntry } from "./file-entry.ts";

/** Every cache of this thread (one per document root), for the totals below. */
const caches = new Set<FileCache>();

/**
 * This thread's file cache figures, for the status page: lookups that found an entry or not, and the
 * bytes and entries held now. Plain counters read by observe/stats.ts through the runtime.
 */
export const fileCacheTotals = {
  hits: 0,
  misses: 0,
  get bytes(): number {
    let n = 0;
    for (const c of caches) n += c.bytes;
    return n;
  },
  get entries(): number {
    let n = 0;
    for (const c of caches) n += c.size;
    return n;
  },
};

export class FileCache {
  readonly #entries = new Map<string, FileEntry>();
  readonly #maxBytes: number;
  #bytes = 0;
  /** Counts insertions; an entry's stamp says how recently it was (re)inserted. */
  #stamp = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
    caches.add(this);
  }

  /** The entry for a key, marked recently used. */
  get(key: string): FileEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) fileCacheTotals.misses++;
    else fileCacheTotals.hits++;
    // Re-insert to move it to the young end of the Map's iteration order (LRU) — but only once it has
    // drifted into the older half, so a hot entry costs a lookup, not a delete and an insert, per hit.
    if (entry !== undefined && this.#stamp - entry.lruStamp > this.#entries.size >>> 1) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      entry.lruStamp = ++this.#stamp;
    }
    return entry;
  }

  /** The entry for a key without touching its LRU position. */
  peek(key: string): FileEntry | undefined {
    return this.#entries.get(key);
  }

  set(entry: FileEntry): void {
    this.invalidate(entry.key);
    if (entry.cost > this.#maxBytes) return;
    this.#entries.set(entry.key, entry);
    entry.lruStamp = ++this.#stamp;
    this.#bytes += entry.cost;
    this.#evict();
  }

  /** Forgets one key (a write to that URI, or a failed revalidation). */
  invalidate(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.cost;
  }

  /** Forgets every key whose file is `path` (all request paths that mapped to it). */
  invalidatePath(path: string): void {
    for (const [key, entry] of this.#entries) {
      if (entry.path === path) {
        this.#entries.delete(key);
        this.#bytes -= entry.cost;
      }
    }
  }

  /** Accounts for bytes an entry grew by (a compressed variant) and evicts down to the budget. */
  grow(entry: FileEntry, bytes: number): void {
    if (this.#entries.get(entry.key) !== entry) return;
    // It grows because it is in use: make it the youngest so the room is made by others.
    this.#entries.delete(entry.key);
    this.#entries.set(entry.key, entry);
    entry.lruStamp = ++this.#stamp;
    this.#bytes += bytes;
    this.#evict();
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
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
      if (this.#bytes <= this.#maxBytes) return;
    }
  }
}
