// The static file handler, a thin orchestrator: method rules, then "pick the entry (from memory when
// fresh, else from disk) and send it", then the directory cases (redirect, listing, 403), SPA fallback
// and error pages. Paths: resolve.ts; disk: lookup.ts; bytes and filters: send-file.ts; listings: listing-store.ts.

import fs from "node:fs";
import path from "node:path";
import { loopNow } from "../common/clock.ts";
import type { LockTable } from "../common/lock-table.ts";
import type { Handler } from "../http/handler.ts";
import { F_ACCEPT, F_IF_NONE_MATCH } from "../http/headers.ts";
import type { Request } from "../http/request.ts";
import { PreparedResponse, type Response } from "../http/response.ts";
import { MAX_RANGES } from "../http/filters/range.ts";
import { ensureCompressed } from "./compress.ts";
import { NOT_FOUND_PLAIN, reportFsError, sendStatus } from "./errors.ts";
import { reportStaticError } from "./events.ts";
import { FileCache } from "./file-cache.ts";
import { FileEntry, type FileStat, type HeadOptions, type SiblingData, signatureOf } from "./file-entry.ts";
import { listingVersionKey } from "./listing-cache.ts";
import { listingView } from "./listing-page.ts";
import { ListingStore } from "./listing-store.ts";
import { DiskMap, type Lookup, openFile, readOpenFile, readWhole } from "./lookup.ts";
import { mimeTypeOf } from "./mime.ts";
import { acceptsHtml, prefersJson } from "./negotiate.ts";
import { type Resolved, resolvePath } from "./resolve.ts";
import { FileSender, type OpenFile } from "./send-file.ts";
import { closeQuietly } from "./stream-file.ts";

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
  /**
   * Per-URI locks and versions shared with the write handler (only when writes are on): a read holds
   * its URI's shared lock while it picks the bytes and logs, and a cached entry is used only while its
   * URI's version is the one it was loaded at, so every thread sees a write at once. Present exactly
   * when writes are on (Allow then names PUT and DELETE).
   */
  readonly locks?: LockTable;
  /** Decline (so the next handler answers) instead of 404, 405 or a bare directory: files in front of a proxy. */
  readonly fallthrough?: boolean;
}

const ALLOW = "GET, HEAD, OPTIONS";
const ALLOW_WRITABLE = "GET, HEAD, PUT, DELETE, OPTIONS";
const KNOWN_METHODS = new Set([
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "TRACE",
  "CONNECT",
  "PROPFIND",
  "PROPPATCH",
  "MKCOL",
  "COPY",
  "MOVE",
  "LOCK",
  "UNLOCK",
  "SEARCH",
  "QUERY",
]);
const SPA_KEY = "\u0000spa";
const NOT_FOUND_PAGE_KEY = "\u0000404";
const NOT_FOUND_PAGE = "404.html";

export class StaticHandler implements Handler {
  readonly #options: StaticOptions;
  readonly #disk: DiskMap;
  readonly #cache: FileCache;
  readonly #sender: FileSender;
  readonly #head: HeadOptions;
  readonly #locks: LockTable | null;
  readonly #allow: string;
  readonly #missing = new Map<string, RecentMiss>();
  readonly #listings: ListingStore;
  #notFoundPage: { readonly entry: FileEntry; readonly response: PreparedResponse } | null = null;

  constructor(options: StaticOptions) {
    this.#options = options;
    this.#locks = options.locks ?? null;
    this.#allow = options.locks === undefined ? ALLOW : ALLOW_WRITABLE;
    this.#disk = new DiskMap(fs.realpathSync(options.root), options);
    this.#cache = new FileCache(options.cacheMaxBytes);
    this.#listings = new ListingStore(this.#disk, options.revalidateMs);
    this.#head = { cacheControl: options.cacheControl };
    let boundary = "";
    this.#sender = new FileSender({
      // Made on the first multipart response: node:crypto is loaded (~1 MiB a thread) only if one comes.
      get boundary(): string {
        if (boundary === "") boundary = process.getBuiltinModule("node:crypto").randomBytes(12).toString("hex");
        return boundary;
      },
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
    if (this.#options.fallthrough === true) return false;
    if (method === "OPTIONS") {
      res.send(204, ["Allow", this.#allow]);
    } else if (KNOWN_METHODS.has(method)) {
      // RFC 9110 §15.5.6: 405 names the methods that would work.
      sendStatus(res, 405, ["Allow", this.#allow]);
    } else {
      sendStatus(res, 501); // §15.6.2: a method this server does not recognise
    }
    return true;
  }

  /**
   * Picks the entry for the request — from memory while fresh, else from disk (revalidating) — and sends
   * it: the one step a URI's shared lock covers when writes are on.
   */
  #serveFile(req: Request, res: Response): boolean | Promise<boolean> {
    const entry = this.#cache.get(req.path);
    if (entry === undefined && this.#missing.size !== 0 && this.#sendRecentMiss(req, res)) return true;
    const fresh = entry !== undefined && loopNow() - entry.checkedAt < this.#options.revalidateMs;
    const locks = this.#locks;
    if (locks === null) {
      if (fresh) return this.#sender.send(req, res, entry!);
      if (entry === undefined) return this.#serveFromDisk(req, res, NO_VERSION);
      // One request re-checks a stale entry against the disk; the others keep answering from memory
      // meanwhile instead of all hitting the file system at once (the bound grows by one lookup).
      if (entry.revalidating && this.#options.revalidateMs > 0) return this.#sender.send(req, res, entry);
      entry.revalidating = true;
      return this.#serveFromDisk(req, res, NO_VERSION).finally(() => {
        entry.revalidating = false;
      });
    }
    if (fresh && locks.tryRead(entry!.slot)) {
      if (locks.version(entry!.slot) === entry!.version)
        return this.#releasing(entry!.slot, this.#sender.send(req, res, entry!));
      locks.releaseRead(entry!.slot);
    }
    return this.#serveLocked(req, res, locks);
  }

  /** Answers a path found missing within the revalidation bound from memory; false when it cannot. */
  #sendRecentMiss(req: Request, res: Response): boolean {
    const miss = this.#missing.get(req.path);
    if (miss === undefined || loopNow() - miss.checkedAt >= this.#options.revalidateMs) return false;
    const locks = this.#locks;
    if (locks === null) {
      res.sendPrepared(miss.response);
      return true;
    }
    if (!locks.tryRead(miss.slot)) return false;
    const current = locks.version(miss.slot) === miss.version;
    if (current) res.sendPrepared(miss.response);
    locks.releaseRead(miss.slot);
    return current;
  }

  /** Releases a URI's shared lock once the response's bytes are picked and its log line written. */
  #releasing(slot: number, result: boolean | Promise<boolean>): boolean | Promise<boolean> {
    const locks = this.#locks!;
    if (typeof result === "boolean") {
      locks.releaseRead(slot);
      return result;
    }
    return result.finally(() => locks.releaseRead(slot));
  }

  async #serveLocked(req: Request, res: Response, locks: LockTable): Promise<boolean> {
    const resolved = resolvePath(req.path, { dotfiles: this.#options.dotfiles });
    if (!resolved.ok) return this.#unresolvable(req, res, resolved.status);
    const slot = locks.slotOf(resolved.relative);
    const wait = locks.read(slot);
    if (wait !== undefined) await wait;
    try {
      return await this.#serveResolved(req, res, resolved, { slot, version: locks.version(slot) });
    } finally {
      locks.releaseRead(slot);
    }
  }

  #serveFromDisk(req: Request, res: Response, version: UriVersion): Promise<boolean> {
    const resolved = resolvePath(req.path, { dotfiles: this.#options.dotfiles });
    if (!resolved.ok) return this.#unresolvable(req, res, resolved.status);
    return this.#serveResolved(req, res, resolved, version);
  }

  /**
   * A path that names no file here (bad escapes, an encoded slash, a dotfile): an error — unless a
   * handler behind this one (the proxy) may know it, as APIs use such paths (`/pkg/%40scope%2Fname`).
   */
  #unresolvable(req: Request, res: Response, status: number): Promise<boolean> {
    if (this.#options.fallthrough === true) return Promise.resolve(false);
    return this.#sendError(req, res, status);
  }

  async #serveResolved(
    req: Request,
    res: Response,
    resolved: Resolved & { ok: true },
    version: UriVersion,
  ): Promise<boolean> {
    const found = await this.#disk.find(resolved.relative);
    if (found.kind !== "file") this.#cache.invalidate(req.path);
    if (found.kind === "file") {
      // A directory's index is reached through the slash form only; "/file/" names no file (ENOTDIR).
      if (found.viaIndex && !resolved.trailingSlash) return this.#redirectToSlash(req, res, resolved);
      if (!found.viaIndex && resolved.trailingSlash) return this.#sendMissing(req, res, version);
      this.#missing.delete(req.path);
      const loaded = await this.#load(req.path, found, version);
      if (typeof loaded === "number") return this.#sendError(req, res, loaded);
      return this.#send(req, res, loaded);
    }
    if (found.kind === "directory") {
      if (this.#options.fallthrough === true) return false;
      // Without listings the slash form would only say 403: say it at once instead of redirecting to it.
      if (!this.#options.listing) return this.#sendError(req, res, 403);
      if (!resolved.trailingSlash) return this.#redirectToSlash(req, res, resolved);
      return this.#sendListing(req, res, found.path, resolved);
    }
    if (found.status >= 500) reportStaticError(req.path, found.error);
    if (found.status === 404) return this.#sendMissing(req, res, version);
    return this.#sendError(req, res, found.status);
  }

  /** Sends a loaded entry, lending it the open descriptor (if any) and closing that if it was not used. */
  async #send(req: Request, res: Response, loaded: Loaded): Promise<boolean> {
    if (loaded.fd === -1) return this.#sender.send(req, res, loaded.entry);
    const open: OpenFile = { fd: loaded.fd, claimed: false };
    try {
      return await this.#sender.send(req, res, loaded.entry, open);
    } finally {
      if (!open.claimed) closeQuietly(open.fd);
    }
  }

  /**
   * The entry for a file found on disk: the cached one when the disk still matches, else a fresh one
   * read through one descriptor (open, fstat, read), so a file replaced meanwhile cannot mix two
   * versions. A file too large to cache comes back with that descriptor still open, for streaming.
   */
  async #load(
    key: string,
    found: Lookup & { kind: "file" },
    version: UriVersion = NO_VERSION,
  ): Promise<Loaded | number> {
    const siblingStats = await this.#disk.siblings(found.path);
    const cached = this.#cache.peek(key);
    const now = loopNow();
    if (
      cached !== undefined &&
      cached.path === found.path &&
      cached.version === version.version &&
      cached.signature === signatureOf(found.stat, siblingStats)
    ) {
      cached.checkedAt = now;
      return { entry: cached, fd: -1 };
    }
    let opened: { fd: number; stat: FileStat };
    try {
      opened = await openFile(found.path);
    } catch (error) {
      return reportFsError(key, error);
    }
    const { fd, stat } = opened;
    let body: Buffer | null = null;
    if (stat.size <= this.#options.cacheMaxFileBytes) {
      try {
        body = await readOpenFile(fd);
      } catch (error) {
        closeQuietly(fd);
        return reportFsError(key, error);
      }
      // Written to while we read it: stream the first stat.size bytes this time instead of caching.
      if (body.length !== stat.size) body = null;
      else closeQuietly(fd);
    }
    const siblings = await Promise.all(siblingStats.map((s) => this.#readSibling(s, body !== null)));
    const mime = mimeTypeOf(found.path);
    const compressible = this.#options.compress && mime.compressible && stat.size >= this.#options.compressMinBytes;
    const entry = new FileEntry({
      key,
      path: found.path,
      stat,
      signature: signatureOf(stat, siblingStats),
      mime,
      body,
      compressible,
      siblings,
      head: this.#head,
      now,
    });
    entry.slot = version.slot;
    entry.version = version.version;
    if (entry.cacheable) this.#cache.set(entry);
    else this.#cache.invalidate(key);
    if (this.#cache.peek(key) !== entry) entry.stopCompressing();
    return { entry, fd: body === null ? fd : -1 };
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

  /** A directory listing, from memory while fresh (listing-store.ts), with its ETag and 304. */
  async #sendListing(req: Request, res: Response, dir: string, resolved: Resolved & { ok: true }): Promise<boolean> {
    const locks = this.#locks;
    const version = locks === null ? 0 : locks.version(locks.slotOf(listingVersionKey(resolved.relative)));
    const isRoot = resolved.segments.length === 0;
    let entry = this.#listings.current(
      { key: req.path, dir, displayPath: isRoot ? "/" : `/${resolved.segments.join("/")}/`, isRoot },
      version,
    );
    if (entry instanceof Promise) {
      try {
        entry = await entry;
      } catch (error) {
        return this.#sendError(req, res, reportFsError(req.path, error));
      }
    }
    // The query picks the page's sort order (one of six): it never makes another cache entry.
    res.sendPrepared(entry.response(prefersJson(req.get(F_ACCEPT)), req.get(F_IF_NONE_MATCH), listingView(req.query)));
    // The first use of a representation renders it: the cache may now be over its bounds.
    this.#listings.trim();
    return true;
  }

  /**
   * A path with nothing behind it: the SPA's index for HTML navigations, else 404 — remembered for the
   * revalidation bound (unless the answer depends on Accept), so repeated misses cost no file system calls.
   */
  async #sendMissing(req: Request, res: Response, version: UriVersion): Promise<boolean> {
    if (this.#options.fallthrough === true) return false;
    if (this.#options.spa) {
      if (acceptsHtml(req.get(F_ACCEPT))) {
        const index = await this.#disk.find("");
        if (index.kind === "file") {
          const loaded = await this.#load(SPA_KEY, index);
          if (typeof loaded !== "number") return this.#send(req, res, loaded);
        }
      }
      return this.#sendError(req, res, 404);
    }
    const response = await this.#notFoundResponse();
    if (this.#options.revalidateMs > 0) {
      if (this.#missing.size >= MISSING_LIMIT) this.#missing.clear();
      this.#missing.set(req.path, { checkedAt: loopNow(), slot: version.slot, version: version.version, response });
    }
    res.sendPrepared(response);
    return true;
  }

  /** An error response: `Reason\n` as text, or the root's 404.html for 404 when there is one. */
  async #sendError(_req: Request, res: Response, status: number): Promise<boolean> {
    if (status === 404) res.sendPrepared(await this.#notFoundResponse());
    else sendStatus(res, status);
    return true;
  }

  /** The prepared 404: the root's 404.html when it exists (rebuilt when it changes), else `Not Found\n`. */
  async #notFoundResponse(): Promise<PreparedResponse> {
    const page = await this.#disk.stat(path.join(this.#disk.root, NOT_FOUND_PAGE));
    if (page.kind !== "file") return NOT_FOUND_PLAIN;
    const loaded = await this.#load(NOT_FOUND_PAGE_KEY, page);
    if (typeof loaded === "number") return NOT_FOUND_PLAIN;
    if (loaded.fd !== -1) closeQuietly(loaded.fd);
    const entry = loaded.entry;
    if (entry.identity.body === null) return NOT_FOUND_PLAIN;
    if (this.#notFoundPage?.entry !== entry) {
      this.#notFoundPage = {
        entry,
        response: new PreparedResponse(
          404,
          ["Content-Type", entry.mime.contentType, "X-Content-Type-Options", "nosniff"],
          entry.identity.body,
        ),
      };
    }
    return this.#notFoundPage.response;
  }
}

/** A request path recently found missing, with the 404 to repeat until the revalidation bound passes. */
interface RecentMiss {
  readonly checkedAt: number;
  readonly slot: number;
  readonly version: number;
  readonly response: PreparedResponse;
}

const MISSING_LIMIT = 4096;

/** The lock slot of a request's URI and its version when the read began (slot -1: writes are off). */
interface UriVersion {
  readonly slot: number;
  readonly version: number;
}

const NO_VERSION: UriVersion = { slot: -1, version: 0 };

/** An entry just loaded, with the descriptor it was read through when that is still open (else -1). */
interface Loaded {
  readonly entry: FileEntry;
  readonly fd: number;
}
