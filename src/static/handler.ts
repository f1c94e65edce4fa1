// The static file handler: URL path → file under the root → headers → bytes. Cached small files are
// answered synchronously with one write of a prepared response; everything else goes through an async
// lookup (real path inside the root, stat, index files) and small files enter the cache on the way.
// Not here: path rules (resolve.ts), MIME types (mime.ts), cache policy (file-cache.ts).

import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { F_IF_MATCH, F_IF_MODIFIED_SINCE, F_IF_NONE_MATCH, F_IF_RANGE, F_IF_UNMODIFIED_SINCE, F_RANGE } from "../http/headers.ts";
import type { Handler } from "../http/handler.ts";
import type { Request } from "../http/request.ts";
import { type HeaderList, PreparedResponse, type Response } from "../http/response.ts";
import { FileCache, FileEntry } from "./file-cache.ts";
import { mimeTypeOf } from "./mime.ts";
import { resolvePath } from "./resolve.ts";

export interface StaticOptions {
  /** The directory served; resolved to its real path at start-up. */
  readonly root: string;
  /** File names tried, in order, for a directory. */
  readonly index: readonly string[];
  readonly dotfiles: boolean;
  /** Serve symlinks whose target lies outside the root. */
  readonly followSymlinks: boolean;
  /** Files up to this size are kept in memory. */
  readonly cacheMaxFileBytes: number;
  /** Memory budget of the file cache. */
  readonly cacheMaxBytes: number;
  /** How long a cached file is trusted before its metadata is checked again; 0 = every request. */
  readonly revalidateMs: number;
  /** Cache-Control value for file responses; "" sends none. */
  readonly cacheControl: string;
}

const STREAM_CHUNK_BYTES = 256 * 1024;
const ALLOW = "GET, HEAD, OPTIONS";
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT"]);

export class StaticHandler implements Handler {
  readonly #options: StaticOptions;
  readonly #root: string;
  readonly #cache: FileCache;

  constructor(options: StaticOptions) {
    this.#options = options;
    this.#root = fs.realpathSync(options.root);
    this.#cache = new FileCache(options.cacheMaxBytes);
  }

  get cache(): FileCache {
    return this.#cache;
  }

  handle(req: Request, res: Response): boolean | Promise<boolean> {
    const method = req.method;
    if (method !== "GET" && method !== "HEAD") return this.#otherMethod(req, res);
    // Fast path: a fresh cached file and no conditional or range fields to evaluate.
    const entry = this.#cache.get(req.path);
    if (entry !== undefined && entry.ok !== null && !hasConditions(req)) {
      const revalidateMs = this.#options.revalidateMs;
      // While one request re-checks a stale entry against the disk, the others keep being served
      // from memory instead of all queueing the same realpath + stat (a herd once per period).
      if (Date.now() - entry.checkedAt < revalidateMs || (entry.revalidating && revalidateMs > 0)) {
        res.sendPrepared(entry.ok);
        return true;
      }
      entry.revalidating = true;
      const done = this.#serve(req, res);
      done.finally(() => (entry.revalidating = false)).catch(() => {});
      return done;
    }
    return this.#serve(req, res);
  }

  #otherMethod(req: Request, res: Response): boolean {
    if (req.method === "OPTIONS") {
      res.send(204, ["Allow", ALLOW]);
    } else if (KNOWN_METHODS.has(req.method)) {
      res.send(405, ["Allow", ALLOW, "Content-Type", "text/plain; charset=utf-8"], "Method Not Allowed\n");
    } else {
      res.send(501, ["Content-Type", "text/plain; charset=utf-8"], "Not Implemented\n");
    }
    return true;
  }

  async #serve(req: Request, res: Response): Promise<boolean> {
    const resolved = resolvePath(req.path, { dotfiles: this.#options.dotfiles });
    if (!resolved.ok) {
      sendText(res, resolved.status, resolved.status === 400 ? "Bad Request\n" : "Not Found\n");
      return true;
    }
    const found = await this.#lookup(resolved.relative);
    if (found.kind === "error") {
      sendText(res, found.status, found.status === 403 ? "Forbidden\n" : found.status === 404 ? "Not Found\n" : "Internal Server Error\n");
      return true;
    }
    if (found.kind === "directory") {
      if (!resolved.trailingSlash) {
        // RFC 9110 §15.4.2: point the client at the slash form so relative links resolve; keep the query.
        const location = `${req.path}/${req.query}`;
        res.send(301, ["Location", location, "Content-Type", "text/plain; charset=utf-8"], "Moved Permanently\n");
        return true;
      }
      sendText(res, 404, "Not Found\n");
      return true;
    }
    const entry = await this.#entryFor(req.path, found.path, found.stat);
    this.#sendEntry(req, res, entry);
    return true;
  }

  /** Finds the file for a relative path: real path inside the root, index files for directories. */
  async #lookup(relative: string): Promise<Lookup> {
    const candidate = relative === "" ? this.#root : path.join(this.#root, relative);
    const target = await this.#statInRoot(candidate);
    if (target.kind !== "file" && target.kind !== "directory") return target;
    if (target.kind === "file") return target;
    for (const name of this.#options.index) {
      const index = await this.#statInRoot(path.join(candidate, name));
      if (index.kind === "file") return { kind: "directory-index", path: index.path, stat: index.stat } as const satisfies Lookup;
    }
    return target;
  }

  async #statInRoot(candidate: string): Promise<Lookup> {
    try {
      const real = await fsp.realpath(candidate);
      if (!this.#options.followSymlinks && real !== this.#root && !real.startsWith(this.#root + path.sep)) {
        return { kind: "error", status: 404 };
      }
      const stat = await fsp.stat(real);
      if (stat.isDirectory()) return { kind: "directory", path: real, stat };
      if (!stat.isFile()) return { kind: "error", status: 404 };
      return { kind: "file", path: real, stat };
    } catch (error) {
      return { kind: "error", status: statusForFsError(error) };
    }
  }

  async #entryFor(key: string, file: string, stat: fs.Stats): Promise<FileEntry> {
    const cached = this.#cache.get(key);
    const now = Date.now();
    if (cached !== undefined && cached.path === file && cached.matches(stat.size, stat.mtimeMs, stat.ino)) {
      cached.checkedAt = now;
      return cached;
    }
    const mime = mimeTypeOf(file);
    let body: Buffer | null = null;
    if (stat.size <= this.#options.cacheMaxFileBytes) {
      try {
        body = await fsp.readFile(file);
      } catch {
        body = null;
      }
      // The file changed while we read it: serve what we read, but do not trust it in the cache.
      if (body !== null && body.length !== stat.size) body = null;
    }
    const entry = new FileEntry(key, file, stat.size, stat.mtimeMs, stat.ino, mime, body, now);
    if (body !== null) {
      entry.ok = new PreparedResponse(200, this.#fileHeaders(entry), body);
      this.#cache.set(entry);
    }
    return entry;
  }

  #fileHeaders(entry: FileEntry): HeaderList {
    const headers = [
      "Content-Type", entry.mime.contentType,
      "ETag", entry.etag,
      "Last-Modified", entry.lastModified,
      "Accept-Ranges", "bytes",
      "X-Content-Type-Options", "nosniff",
    ];
    if (this.#options.cacheControl !== "") headers.push("Cache-Control", this.#options.cacheControl);
    return headers;
  }

  #sendEntry(req: Request, res: Response, entry: FileEntry): void {
    if (entry.ok !== null) {
      res.sendPrepared(entry.ok);
      return;
    }
    res.writeHead(200, this.#fileHeaders(entry), entry.size);
    if (req.method === "HEAD" || entry.size === 0) {
      res.end();
      return;
    }
    streamFile(req, res, entry.path, 0, entry.size - 1);
  }
}

type Lookup =
  | { readonly kind: "file" | "directory" | "directory-index"; readonly path: string; readonly stat: fs.Stats }
  | { readonly kind: "error"; readonly status: number };

function hasConditions(req: Request): boolean {
  const f = req.fields;
  for (let k = 4; k < f.length; k += 5) {
    const id = f[k]!;
    if (id === F_IF_NONE_MATCH || id === F_IF_MODIFIED_SINCE || id === F_RANGE || id === F_IF_MATCH || id === F_IF_UNMODIFIED_SINCE || id === F_IF_RANGE) {
      return true;
    }
  }
  return false;
}

function statusForFsError(error: unknown): number {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP" || code === "ENAMETOOLONG") return 404;
  if (code === "EACCES" || code === "EPERM") return 403;
  return 500;
}

function sendText(res: Response, status: number, body: string): void {
  res.send(status, ["Content-Type", "text/plain; charset=utf-8"], body);
}

/** Streams bytes [start, end] of a file with large reads, pausing while the socket is backed up. */
export function streamFile(req: Request, res: Response, file: string, start: number, end: number): void {
  const stream = fs.createReadStream(file, { start, end, highWaterMark: STREAM_CHUNK_BYTES });
  req.onAbort(() => stream.destroy());
  stream.on("data", (chunk) => {
    if (!res.write(chunk as Buffer)) {
      stream.pause();
      res.onDrain(() => stream.resume());
    }
  });
  stream.on("end", () => res.end());
  stream.on("error", () => res.abort());
}
