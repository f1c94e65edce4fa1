// Makes the compressed variants of a cached file: brotli, zstd and gzip from node:zlib, run on the libuv
// thread pool so the event loop never waits. Each variant is made once per file version and kept in its
// FileEntry; concurrent requests for one variant share a single compression.

import type zlibTypes from "node:zlib";
import type { FileEntry } from "./file-entry.ts";

// Variants are made once and served many times, so spend effort on ratio, short of the slowest levels.
const BROTLI_QUALITY = 9;
const ZSTD_LEVEL = 12;
const GZIP_LEVEL = 9;

/** Compresses `data` with the encoding at `index` of ENCODINGS (br, zstd, gzip). */
export function compressBytes(index: number, data: Buffer, textual: boolean): Promise<Buffer> {
  // Loaded on the first compression: with compression off, or no compressible file, never.
  const zlib: typeof zlibTypes = process.getBuiltinModule("node:zlib");
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, result: Buffer): void => (error === null ? resolve(result) : reject(error));
    if (index === 0) {
      zlib.brotliCompress(
        data,
        {
          params: {
            [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
            [zlib.constants.BROTLI_PARAM_MODE]: textual
              ? zlib.constants.BROTLI_MODE_TEXT
              : zlib.constants.BROTLI_MODE_GENERIC,
            [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
          },
        },
        done,
      );
    } else if (index === 1) {
      zlib.zstdCompress(
        data,
        { params: { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL, [zlib.constants.ZSTD_c_checksumFlag]: 1 } },
        done,
      );
    } else {
      zlib.gzip(data, { level: GZIP_LEVEL }, done);
    }
  });
}

/**
 * Makes the variant at `index` for `entry` unless it exists or is under way; resolves once it is
 * settled. A failure is recorded as "no variant" (identity is served) and reported through `onError`.
 * `onGrow` learns how many bytes the entry grew by, so the cache can keep its budget.
 */
export function ensureCompressed(
  entry: FileEntry,
  index: number,
  onGrow: (bytes: number) => void,
  onError: (error: unknown) => void,
): Promise<void> {
  const pending = entry.pending[index];
  if (pending != null) return pending;
  const body = entry.identity.body;
  if (body === null || entry.encoded[index] !== undefined) return Promise.resolve();
  const textual = entry.mime.contentType.startsWith("text/") || entry.mime.contentType.includes("charset=");
  const work = compressBytes(index, body, textual).then(
    (bytes) => onGrow(entry.addCompressed(index, bytes)),
    (error: unknown) => {
      entry.addCompressed(index, null);
      onError(error);
    },
  );
  const settled = work.finally(() => {
    entry.pending[index] = null;
  });
  entry.pending[index] = settled;
  return settled;
}
