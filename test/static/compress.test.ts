// Unit tests for on-the-fly compression: each coding round-trips, a variant is made once.

import assert from "node:assert/strict";
import { test } from "node:test";
import zlib from "node:zlib";
import { compressBytes, ensureCompressed } from "../../src/static/compress.ts";
import { FileEntry } from "../../src/static/file-entry.ts";
import { mimeTypeOf } from "../../src/static/mime.ts";

const fail = (error: unknown): void => assert.fail(String(error));
const TEXT = Buffer.from("hello compressible world\n".repeat(200));

test("br, zstd and gzip round-trip", async () => {
  assert.deepEqual(zlib.brotliDecompressSync(await compressBytes(0, TEXT, true)), TEXT);
  assert.deepEqual(zlib.zstdDecompressSync(await compressBytes(1, TEXT, true)), TEXT);
  assert.deepEqual(zlib.gunzipSync(await compressBytes(2, TEXT, true)), TEXT);
});

test("concurrent requests for a variant share one compression, and it is kept", async () => {
  const entry = new FileEntry({
    key: "/t.txt",
    path: "/r/t.txt",
    stat: { size: TEXT.length, mtimeMs: 0, ino: 1 },
    signature: "",
    mime: mimeTypeOf("t.txt"),
    body: TEXT,
    compressible: true,
    siblings: [null, null, null],
    head: { cacheControl: "" },
    now: 0,
  });
  let grown = 0;
  const first = ensureCompressed(entry, 2, (b) => (grown += b), fail);
  const second = ensureCompressed(entry, 2, (b) => (grown += b), fail);
  assert.equal(first, second);
  await first;
  const variant = entry.encoded[2]!;
  assert.ok(variant.body!.length < TEXT.length);
  assert.ok(grown > 0);
  await ensureCompressed(entry, 2, () => assert.fail("made twice"), fail);
  assert.equal(entry.encoded[2], variant);
});
