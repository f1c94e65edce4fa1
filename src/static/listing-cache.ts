// Built directory listings by request path, so a large directory is read once per revalidation bound,
// not once per request: the items (listing.ts), a strong validator per representation, and the
// prepared responses rendered from them (JSON, and HTML in each of its six sort orders; 200 and 304),
// each made on first use. The HTML rows are rendered once and laid out per order (listing-page.ts);
// the query picks one of the six orders, never a new cache entry. Like a
// file, a listing is trusted for `--cache-revalidate`, then read again (requests meanwhile are answered
// from memory); a write through Portico on any thread bumps the directory's listing version, which
// voids it at once. Bounded by count and bytes, least recently used first out.
// Not here: reading (listing.ts), when to read again (listing-store.ts), sending (handler.ts).

import { Buffer } from "node:buffer";
import { matchesEtagList } from "../http/filters/conditional.ts";
import { PreparedResponse } from "../http/response.ts";
import { type ListingItem, listingTag, renderListingJson } from "./listing.ts";
import { LISTING_CSP, LISTING_VIEWS, listingOrder, listingRows, renderListingHtml } from "./listing-page.ts";

/** Prepared answers for one representation of a listing. */
export interface ListingVariant {
  /** The strong entity-tag (RFC 9110 §8.8.3), quoted. */
  readonly etag: string;
  readonly ok: PreparedResponse;
  readonly notModified: PreparedResponse;
}

/**
 * The lock-table key whose version stands for a directory's listing (relative path, "" for the root):
 * a write bumps it for every directory whose listing it changes, on any thread.
 */
export function listingVersionKey(relativeDir: string): string {
  return `\u0000listing:${relativeDir}`;
}

/** The directories whose listings a change to `relativeFile` affects: its parent and every ancestor. */
export function affectedListings(relativeFile: string): string[] {
  const out: string[] = [];
  let at = relativeFile.lastIndexOf("/");
  while (at !== -1) {
    out.push(relativeFile.slice(0, at));
    at = relativeFile.lastIndexOf("/", at - 1);
  }
  out.push("");
  return out;
}

const HTML_TYPE = "text/html; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";

export class ListingEntry {
  readonly key: string;
  readonly items: readonly ListingItem[];
  /** The URI's listing version when the items were read (writes bump it), or 0 without writes. */
  readonly version: number;
  /** When the items were read (loop clock, ms); trusted for the revalidation bound from then. */
  checkedAt: number;
  /** One request is reading the directory again; the others are answered from this entry meanwhile. */
  revalidating = false;
  lruStamp = 0;
  readonly #tag: string;
  readonly #displayPath: string;
  readonly #isRoot: boolean;
  /** By view (listing-page.ts listingView): the sort orders of the page. */
  #html: (ListingVariant | null)[] = new Array<ListingVariant | null>(LISTING_VIEWS).fill(null);
  #json: ListingVariant | null = null;
  /** The page's table rows in name order, rendered at the first HTML view. */
  #rows: string[] | null = null;
  #bytes: number;

  constructor(
    key: string,
    items: readonly ListingItem[],
    version: number,
    checkedAt: number,
    displayPath: string,
    isRoot: boolean,
  ) {
    this.key = key;
    this.items = items;
    this.version = version;
    this.checkedAt = checkedAt;
    this.#tag = listingTag(items);
    this.#displayPath = displayPath;
    this.#isRoot = isRoot;
    // Names dominate an entry's size until a representation is rendered (then its body counts).
    this.#bytes = 64 * items.length + key.length;
  }

  /** Same items as another read of the same directory (so the same pages and validators). */
  sameAs(other: ListingEntry): boolean {
    return this.#tag === other.#tag && this.items.length === other.items.length;
  }

  /** Takes over the rendered pages of an older entry that lists the same items. */
  adopt(older: ListingEntry): void {
    for (let v = 0; v < LISTING_VIEWS; v++) {
      const page = older.#html[v] ?? null;
      if (this.#html[v] !== null || page === null) continue;
      this.#html[v] = page;
      this.#bytes += page.ok.body.length;
    }
    if (this.#json === null && older.#json !== null) {
      this.#json = older.#json;
      this.#bytes += older.#json.ok.body.length;
    }
    if (this.#rows === null && older.#rows !== null) {
      this.#rows = older.#rows;
      for (const row of older.#rows) this.#bytes += row.length;
    }
  }

  /** Memory held: items and rendered bodies (each body counts once; the prepared bytes track it). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The prepared answer for a GET or HEAD of the HTML or JSON representation: 304 when If-None-Match
   * matches its ETag (RFC 9110 §13.1.2, weak comparison), else 200.
   */
  response(json: boolean, ifNoneMatch: string | undefined, view = 0): PreparedResponse {
    const variant = this.variant(json, view);
    return ifNoneMatch !== undefined && matchesEtagList(ifNoneMatch, variant.etag, true)
      ? variant.notModified
      : variant.ok;
  }

  /** The JSON representation, or the HTML one in a view's order, rendered on first use. */
  variant(json: boolean, view = 0): ListingVariant {
    const made = json ? this.#json : (this.#html[view] ?? null);
    if (made !== null) return made;
    const body = Buffer.from(json ? renderListingJson(this.items) : this.#renderHtml(view));
    const etag = `"${json ? "j" : `h${view}`}${this.#tag}"`;
    // The body depends on Accept (HTML or JSON) and on the directory's contents: caches revalidate.
    const common = ["ETag", etag, "Cache-Control", "no-cache", "Vary", "Accept"];
    const variant: ListingVariant = {
      etag,
      ok: new PreparedResponse(
        200,
        json
          ? ["Content-Type", JSON_TYPE, "X-Content-Type-Options", "nosniff", ...common]
          : [
              "Content-Type",
              HTML_TYPE,
              "X-Content-Type-Options",
              "nosniff",
              "Content-Security-Policy",
              LISTING_CSP,
              ...common,
            ],
        body,
      ),
      notModified: new PreparedResponse(304, common, Buffer.alloc(0)),
    };
    this.#bytes += body.length;
    if (json) this.#json = variant;
    else this.#html[view] = variant;
    return variant;
  }

  #renderHtml(view: number): string {
    let rows = this.#rows;
    if (rows === null) {
      rows = listingRows(this.items);
      this.#rows = rows;
      for (const row of rows) this.#bytes += row.length;
    }
    const order = view === 0 ? null : listingOrder(this.items, view);
    return renderListingHtml(this.#displayPath, this.items, this.#isRoot, view, rows, order);
  }
}

export class ListingCache {
  readonly #entries = new Map<string, ListingEntry>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #stamp = 0;

  constructor(maxEntries = 64, maxBytes = 16 << 20) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  get(key: string): ListingEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined) entry.lruStamp = ++this.#stamp;
    return entry;
  }

  set(entry: ListingEntry): void {
    this.#entries.delete(entry.key);
    this.#entries.set(entry.key, entry);
    entry.lruStamp = ++this.#stamp;
    this.trim();
  }

  invalidate(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Evicts least recently used entries down to the bounds (call after an entry grew by a rendering). */
  trim(): void {
    let bytes = 0;
    for (const entry of this.#entries.values()) bytes += entry.bytes;
    while (this.#entries.size > this.#maxEntries || (bytes > this.#maxBytes && this.#entries.size > 1)) {
      let oldest: ListingEntry | undefined;
      for (const entry of this.#entries.values())
        if (oldest === undefined || entry.lruStamp < oldest.lruStamp) oldest = entry;
      this.#entries.delete(oldest!.key);
      bytes -= oldest!.bytes;
    }
  }
}
