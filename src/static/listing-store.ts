// Which listing a request gets: the cached one while it is fresh (or while another request reads the
// directory again), else a read of the directory, shared by every request that wants the same version
// meanwhile. Not here: reading (listing.ts), keeping and rendering (listing-cache.ts), answering (handler.ts).

import { loopNow } from "../common/clock.ts";
import { readListing } from "./listing.ts";
import { ListingCache, ListingEntry } from "./listing-cache.ts";
import type { DiskMap } from "./lookup.ts";

/** Where a listing is and how it is shown, as the handler resolved it. */
export interface ListingPlace {
  /** The request path: the cache key. */
  readonly key: string;
  /** The directory on disk. */
  readonly dir: string;
  /** The decoded path shown as the page's title, with its trailing slash. */
  readonly displayPath: string;
  readonly isRoot: boolean;
}

export class ListingStore {
  readonly #cache = new ListingCache();
  /** Listings being read, by request path, with the listing version they started at. */
  readonly #reading = new Map<string, { readonly version: number; readonly entry: Promise<ListingEntry> }>();
  readonly #disk: DiskMap;
  readonly #revalidateMs: number;

  constructor(disk: DiskMap, revalidateMs: number) {
    this.#disk = disk;
    this.#revalidateMs = revalidateMs;
  }

  /**
   * The listing to answer with: at once from memory while fresh, else once read. `version` is the
   * directory's listing version now (writes bump it), 0 without writes. A read that fails rejects.
   */
  current(place: ListingPlace, version: number): ListingEntry | Promise<ListingEntry> {
    const entry = this.#cache.get(place.key);
    const current = entry !== undefined && entry.version === version;
    if (current && (loopNow() - entry.checkedAt < this.#revalidateMs || entry.revalidating)) return entry;
    return this.#read(place, version, current ? entry : undefined);
  }

  /** Evicts down to the cache's bounds (after a rendering grew an entry). */
  trim(): void {
    this.#cache.trim();
  }

  /** Reads a listing (or waits for the read of the same version already under way) and caches it. */
  #read(place: ListingPlace, version: number, stale: ListingEntry | undefined): Promise<ListingEntry> {
    const pending = this.#reading.get(place.key);
    if (pending !== undefined && pending.version === version) return pending.entry;
    if (stale !== undefined) stale.revalidating = true;
    const entry = readListing(place.dir, this.#disk)
      .then((items) => {
        const fresh = new ListingEntry(place.key, items, version, loopNow(), place.displayPath, place.isRoot);
        // Unchanged since the last read: keep the pages already rendered.
        if (stale !== undefined && fresh.sameAs(stale)) fresh.adopt(stale);
        this.#cache.set(fresh);
        return fresh;
      })
      .finally(() => {
        if (stale !== undefined) stale.revalidating = false;
        if (this.#reading.get(place.key)?.entry === entry) this.#reading.delete(place.key);
      });
    this.#reading.set(place.key, { version, entry });
    return entry;
  }
}
