// The static file handler, a thin orchestrator: method rules, then "pick the entry (from memory when
// fresh, else from disk) and send it", then the directory cases (redirect, listing, 403), SPA fallback
// and error pages. Paths: resolve.ts; disk: lookup.ts; bytes and filters: send-file.ts; listings: listing.ts.

import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import type { Handler } from "../http/handler.ts";
import { F_ACCEPT } from "../http/headers.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { MAX_RANGES } from "../http/filters/range.ts";
import { ensureCompressed } from "./compress.ts";
import { reportStaticError } from "./events.ts";
import { FileCache } from "./file-cache.ts";
import { FileEntry, type FileStat, type HeadOptions, type SiblingData, signatureOf } from "./file-entry.ts";
import { readListing, renderListingHtml, renderListingJson } from "./listing.ts";
import { DiskMap, type Lookup, readWhole, statusForFsError } from "./lookup.ts";
import { mimeTypeOf } from "./mime.ts";
import { acceptsHtml, prefersJson } from "./negotiate.ts";
import { type Resolved, resolvePath } from "./resolve.ts";
import { FileSender, sendStatus } from "./send-file.ts";

export interface StaticOptions {
  /** The directory served; resolved to its real path at start-up. */
  readonly root: string;
  /** File names tried, in order, for a directory. */
  readonly index: readonly string[];
  readonly dotfiles: boolean;
  /** Serve symlinks whose target lies outside the root. */
  readonly followSymlinks: boolean;
  /** List directories without an index file (else 403). */
  readonly listing: boolean;
  /** Answer missing paths that accept text/html with the root index (single-page apps). */
  readonly spa: boolean;
  /** Files up to this size are kept in memory. */
  readonly cacheMaxFileBytes: number;
  /** Memory budget of the file cache. */
  readonly cacheMaxBytes: number;
  /** How long a cached file is trusted before its metadata is checked again; 0 = every request. */
  readonly revalidateMs: number;
  /** Cache-Control value for file responses; "" sends none. */
  readonly cacheControl: string;
  /** Make gzip/brotli/zstd variants of compressible cached files. */
  readonly compress: boolean;
  /** Smallest file compressed on the fly. */
  readonly compressMinBytes: number;
}

const ALLOW = "GET, HEAD, OPTIONS";
const KNOWN_METHODS = new Set(["POST", "PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "QUERY"]);
const SPA_KEY = "\u0000spa";
const NOT_FOUND_PAGE_KEY = "\u0000404";
const NOT_FOUND_PAGE = "404.html";

export class StaticHandler implements Handler {
  readonly #options: StaticOptions;
  readonly #disk: DiskMap;
  readonly #cache: FileCache;
  readonly #sender: FileSender;
  readonly #head: HeadOptions;

  constructor(options: StaticOptions) {
    this.#options = options;
    this.#disk = new DiskMap(fs.realpathSync(options.root), options);
    this.#cache = new FileCache(options.cacheMaxBytes);
    this.#head = { cacheControl: options.cacheControl };
    this.#sender = new FileSender({
      boundary: randomBytes(12).toString("hex"),
      maxRanges: MAX_RANGES,
      compress: (entry, index) =>
        ensureCompressed(
          entry,
          index,
          (bytes) => this.#cache.grow(entry, bytes),
          (error) => reportStaticError(entry.key, error),
        ),
      onError: (error) => reportStaticError("", error),
    });
  }

  get cache(): FileCache {
    return this.#cache;
  }

  handle(req: Request, res: Response): boolean | Promise<boolean> {
    const method = req.method;
    if (method === "GET" || method === "HEAD") return this.#serveFile(req, res);
    if (method === "OPTIONS") {
      res.send(204, ["Allow", ALLOW]);
    } else if (KNOWN_METHODS.has(method)) {
      // RFC 9110 §15.5.6: 405 names the methods that would work.
      sendStatus(res, 405, ["Allow", ALLOW]);
    } else {
      sendStatus(res, 501); // §15.6.2: a method this server does not recognise
    }
    return true;
  }

  /**
   * Picks the entry for the request — from memory while fresh, else from disk (revalidating) — and sends
   * it. This one step is what a per-URI read lock must wrap once writes exist.
   */
  #serveFile(req: Request, res: Response): boolean | Promise<boolean> {
    const entry = this.#cache.get(req.path);
    if (entry !== undefined && Date.now() - entry.checkedAt < this.#options.revalidateMs) return this.#sender.send(req, res, entry);
    return this.#serveFromDisk(req, res);
  }

  async #serveFromDisk(req: Request, res: Response): Promise<boolean> {
    const resolved = resolvePath(req.path, { dotfiles: this.#options.dotfiles });
    if (!resolved.ok) return this.#sendError(req, res, resolved.status);
    const found = await this.#disk.find(resolved.relative);
    if (found.kind !== "file") this.#cache.invalidate(req.path);
    if (found.kind === "file") {
      // A directory's index is reached through the slash form only; "/file/" names no file (ENOTDIR).
      if (found.viaIndex && !resolved.trailingSlash) return this.#redirectToSlash(req, res, resolved);
      if (!found.viaIndex && resolved.trailingSlash) return this.#sendMissing(req, res);
      const entry = await this.#load(req.path, found);
      if (typeof entry === "number") return this.#sendError(req, res, entry);
      return this.#sender.send(req, res, entry);
    }
    if (found.kind === "directory") {
      if (!resolved.trailingSlash) return this.#redirectToSlash(req, res, resolved);
      if (this.#options.listing) return this.#sendListing(req, res, found.path, resolved);
      return this.#sendError(req, res, 403);
    }
    if (found.status === 500) reportStaticError(req.path, found.error);
    if (found.status === 404) return this.#sendMissing(req, res);
    return this.#sendError(req, res, found.status);
  }

  /** The entry for a file found on disk: the cached one when the disk still matches, else a fresh one. */
  async #load(key: string, found: Lookup & { kind: "file" }): Promise<FileEntry | number> {
    const siblingStats = await this.#disk.siblings(found.path);
    const signature = signatureOf(found.stat, siblingStats);
    const cached = this.#cache.peek(key);
    const now = Date.now();
    if (cached !== undefined && cached.path === found.path && cached.signature === signature) {
      cached.checkedAt = now;
      return cached;
    }
    const max = this.#options.cacheMaxFileBytes;
    let body: Buffer | null = null;
    if (found.stat.size <= max) {
      try {
        body = await fsp.readFile(found.path);
      } catch (error) {
        const status = statusForFsError(error);
        if (status === 500) reportStaticError(key, error);
        return status;
      }
      // Changed while we read it: stream it this time instead of caching bytes that match no stat.
      if (body.length !== found.stat.size) body = null;
    }
    const siblings = await Promise.all(siblingStats.map((s) => this.#readSibling(s, body !== null)));
    const mime = mimeTypeOf(found.path);
    const compressible = this.#options.compress && mime.compressible && found.stat.size >= this.#options.compressMinBytes;
    const entry = new FileEntry(key, found.path, found.stat, signature, mime, body, compressible, siblings, this.#head, now);
    if (entry.cacheable) this.#cache.set(entry);
    else this.#cache.invalidate(key);
    return entry;
  }

  async #readSibling(sibling: (FileStat & { path: string }) | null, inMemory: boolean): Promise<SiblingData | null> {
    if (sibling === null) return null;
    if (!inMemory || sibling.size > this.#options.cacheMaxFileBytes) return { ...sibling, body: null };
    const body = await readWhole(sibling.path, sibling.size);
    return body === null ? null : { ...sibling, body };
  }

  #redirectToSlash(req: Request, res: Response, resolved: Resolved & { ok: true }): boolean {
    // RFC 9110 §15.4.2: the slash form makes relative links resolve. Built from the normalised segments,
    // so "//host" can never become a scheme-relative Location; the query is kept.
    let location = "/";
    for (const segment of resolved.segments) location += `${encodeURIComponent(segment)}/`;
    sendStatus(res, 301, ["Location", location + req.query]);
    return true;
  }

  async #sendListing(req: Request, res: Response, dir: string, resolved: Resolved & { ok: true }): Promise<boolean> {
    let items;
    try {
      items = await readListing(dir, this.#disk);
    } catch (error) {
      const status = statusForFsError(error);
      if (status === 500) reportStaticError(req.path, error);
      return this.#sendError(req, res, status);
    }
    const json = prefersJson(req.get(F_ACCEPT));
    const displayPath = resolved.segments.length === 0 ? "/" : `/${resolved.segments.join("/")}/`;
    const body = json ? renderListingJson(items) : renderListingHtml(displayPath, items, resolved.segments.length === 0);
    // The body depends on Accept (HTML or JSON) and on the directory's contents: always revalidate.
    res.send(200, ["Content-Type", json ? "application/json; charset=utf-8" : "text/html; charset=utf-8", "Cache-Control", "no-cache", "Vary", "Accept", "X-Content-Type-Options", "nosniff"], body);
    return true;
  }

  /** A path with nothing behind it: the SPA's index for HTML navigations, else 404. */
  async #sendMissing(req: Request, res: Response): Promise<boolean> {
    if (this.#options.spa && acceptsHtml(req.get(F_ACCEPT))) {
      const index = await this.#disk.find("");
      if (index.kind === "file") {
        const entry = await this.#load(SPA_KEY, index);
        if (typeof entry !== "number") return this.#sender.send(req, res, entry);
      }
    }
    return this.#sendError(req, res, 404);
  }

  /** An error response: `Reason\n` as text, or the root's 404.html for 404 when there is one. */
  async #sendError(req: Request, res: Response, status: number): Promise<boolean> {
    if (status === 404) {
      const page = await this.#disk.stat(path.join(this.#disk.root, NOT_FOUND_PAGE));
      if (page.kind === "file") {
        const entry = await this.#load(NOT_FOUND_PAGE_KEY, page);
        if (typeof entry !== "number" && entry.identity.body !== null) {
          res.send(404, ["Content-Type", entry.mime.contentType, "X-Content-Type-Options", "nosniff"], entry.identity.body);
          return true;
        }
      }
    }
    sendStatus(res, status);
    return true;
  }
}
