// What the server knows about one file: validators, its representations (identity, precompressed
// siblings, compressed variants made once) and their response heads, prepared ahead of time so a cached
// file is answered with one write. Pure data and head building: no I/O (lookup.ts and compress.ts fill it).

import { Buffer } from "node:buffer";
import { PreparedResponse } from "../http/response.ts";
import type { MimeType } from "./mime.ts";

/** Content codings the server can offer, in its own order of preference (smallest output first). */
export const ENCODINGS = ["br", "zstd", "gzip"] as const;
export const ENCODING_COUNT = ENCODINGS.length;
/** File name suffixes of precompressed siblings, by encoding index. */
export const SIBLING_SUFFIXES = [".br", ".zst", ".gz"] as const;

/** Header settings shared by every file response. */
export interface HeadOptions {
  /** Cache-Control value; "" sends none. */
  readonly cacheControl: string;
}

/** Disk metadata the entry is built from (a subset of fs.Stats). */
export interface FileStat {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

/** One representation of a file: the identity bytes or one content coding of them. */
export class Variant {
  /** Content coding ("" for identity). */
  readonly encoding: string;
  readonly etag: string;
  readonly size: number;
  /** The bytes when held in memory; null when they are streamed from `path`. */
  readonly body: Buffer | null;
  /** The file holding these bytes on disk ("" for variants made in memory). */
  readonly path: string;
  /** Fields of a 200 for this variant, without Content-Length. */
  readonly fields: readonly string[];
  /** Fields of a 304 for this variant (RFC 9110 §15.4.5: those a 200 would carry that matter to caches). */
  readonly notModifiedFields: readonly string[];
  /** Prepared 200 and 304, present when the body is in memory. */
  readonly ok: PreparedResponse | null;
  readonly notModified: PreparedResponse | null;

  constructor(
    entry: FileEntry,
    encoding: string,
    etag: string,
    size: number,
    body: Buffer | null,
    path: string,
    head: HeadOptions,
  ) {
    this.encoding = encoding;
    this.etag = etag;
    this.size = size;
    this.body = body;
    this.path = path;
    const fields = ["Content-Type", entry.mime.contentType];
    if (encoding !== "") fields.push("Content-Encoding", encoding);
    const cache = ["ETag", etag, "Last-Modified", entry.lastModified];
    if (head.cacheControl !== "") cache.push("Cache-Control", head.cacheControl);
    if (entry.negotiable) cache.push("Vary", "Accept-Encoding");
    fields.push(...cache, "Accept-Ranges", "bytes", "X-Content-Type-Options", "nosniff");
    this.fields = fields;
    this.notModifiedFields = cache;
    this.ok = body === null ? null : new PreparedResponse(200, fields, body);
    this.notModified = body === null ? null : new PreparedResponse(304, cache, EMPTY);
  }
}

const EMPTY = Buffer.alloc(0);

/** What a FileEntry is made from: the file as read (lookup.ts, handler.ts) and the settings shaping its heads. */
export interface FileEntryInit {
  /** Cache key: the request path as received. */
  readonly key: string;
  /** Absolute real path of the file on disk. */
  readonly path: string;
  readonly stat: FileStat;
  /** Metadata of the file and its siblings (signatureOf), compared on revalidation. */
  readonly signature: string;
  readonly mime: MimeType;
  /** The bytes when the file is cached; null when it is streamed from disk. */
  readonly body: Buffer | null;
  /** Whether variants may be compressed in memory (the type, size and settings allow it). */
  readonly compressible: boolean;
  /** Precompressed siblings by encoding index (ENCODINGS), null where there is none. */
  readonly siblings: readonly (SiblingData | null)[];
  readonly head: HeadOptions;
  /** When the file was read (ms since the epoch): checkedAt, and the latest Last-Modified allowed. */
  readonly now: number;
}

export class FileEntry {
  /** Cache key: the request path as received. */
  readonly key: string;
  /** Absolute real path of the file on disk. */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  /** Metadata of the file and its siblings: the entry is stale when this changes on disk. */
  readonly signature: string;
  readonly etag: string;
  readonly lastModified: string;
  /** Last-Modified as ms (whole seconds), for date comparisons. */
  readonly lastModifiedMs: number;
  readonly mime: MimeType;
  /** Whether the response depends on Accept-Encoding (then every answer carries Vary). */
  readonly negotiable: boolean;
  /** Whether compressed variants may be made in memory for encodings without a sibling. */
  readonly compressible: boolean;
  readonly identity: Variant;
  /**
   * Per encoding index: a ready variant, null when there is none (not offered, or not smaller), or
   * undefined while it has not been made yet.
   */
  readonly encoded: Array<Variant | null | undefined>;
  /** Compressions under way, so concurrent requests share one. */
  readonly pending: Array<Promise<void> | null>;
  /** When the disk was last checked (ms since the epoch). */
  checkedAt: number;
  /** The file cache's insertion stamp, for its approximate LRU order. */
  lruStamp = 0;
  /** True while one request re-checks this entry against the disk (the others keep using it). */
  revalidating = false;
  /** Bytes this entry accounts for in the cache budget. */
  cost: number;
  /** The URI's lock slot and the version it was loaded at, when writes are on (else -1 and 0). */
  slot = -1;
  version = 0;
  readonly #head: HeadOptions;

  constructor(init: FileEntryInit) {
    const { key, path, stat, signature, mime, body, compressible, siblings, head, now } = init;
    this.key = key;
    this.path = path;
    this.size = stat.size;
    this.mtimeMs = stat.mtimeMs;
    this.ino = stat.ino;
    this.signature = signature;
    this.mime = mime;
    this.#head = head;
    // A strong validator (RFC 9110 §8.8.3) from inode, size and mtime: any rewrite changes one of them.
    this.etag = `"${stat.ino.toString(36)}-${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}"`;
    // RFC 9110 §8.8.2.1: a modification time in the future is replaced by the time of the response.
    this.lastModifiedMs = Math.floor(Math.min(stat.mtimeMs, now) / 1000) * 1000;
    this.lastModified = new Date(this.lastModifiedMs).toUTCString();
    // Precompressed siblings mean the site chose its codings: nothing is compressed on the fly then.
    this.compressible = compressible && body !== null && siblings.every((s) => s === null);
    this.negotiable = this.compressible || siblings.some((s) => s !== null);
    this.checkedAt = now;
    this.identity = new Variant(this, "", this.etag, stat.size, body, path, head);
    this.encoded = [];
    this.pending = [];
    // Bytes are held twice: the file's buffer and the prepared response's head+body copy.
    this.cost = (body?.length ?? 0) * 2 + 1024;
    for (let i = 0; i < ENCODING_COUNT; i++) {
      const sibling = siblings[i] ?? null;
      this.pending.push(null);
      if (sibling !== null) {
        const etag = `"${sibling.ino.toString(36)}-${sibling.size.toString(36)}-${Math.floor(sibling.mtimeMs).toString(36)}-${ENCODINGS[i]}"`;
        this.encoded.push(new Variant(this, ENCODINGS[i]!, etag, sibling.size, sibling.body, sibling.path, head));
        this.cost += (sibling.body?.length ?? 0) * 2 + 512;
      } else {
        this.encoded.push(this.compressible ? undefined : null);
      }
    }
  }

  /** True when the bytes are in memory (the entry may live in the cache). */
  get cacheable(): boolean {
    return this.identity.body !== null;
  }

  /** Gives up making variants in memory (the entry did not fit the cache, so they would be made per request). */
  stopCompressing(): void {
    for (let i = 0; i < ENCODING_COUNT; i++) if (this.encoded[i] === undefined) this.encoded[i] = null;
  }

  /** Stores a compressed variant made in memory; `bytes` null records that compressing did not pay. */
  addCompressed(index: number, bytes: Buffer | null): number {
    if (bytes === null || bytes.length >= this.size) {
      this.encoded[index] = null;
      return 0;
    }
    const etag = `${this.etag.slice(0, -1)}-${ENCODINGS[index]}"`;
    this.encoded[index] = new Variant(this, ENCODINGS[index]!, etag, bytes.length, bytes, "", this.#head);
    this.cost += bytes.length * 2 + 512;
    return bytes.length * 2 + 512;
  }
}

/** A precompressed sibling found next to a file (name + .br/.zst/.gz), with its bytes when cached. */
export interface SiblingData extends FileStat {
  readonly path: string;
  readonly body: Buffer | null;
}

/** The signature of a file and its siblings' metadata, compared on revalidation. */
export function signatureOf(stat: FileStat, siblings: readonly (FileStat | null)[]): string {
  let s = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  for (const sibling of siblings) s += sibling === null ? "|" : `|${sibling.ino}:${sibling.size}:${sibling.mtimeMs}`;
  return s;
}
