// Unit tests for the file cache: LRU by bytes, invalidation by key and by path, growth accounting.

import assert from "node:assert/strict";
import { test } from "node:test";
import { FileCache } from "../../src/static/file-cache.ts";
import { FileEntry } from "../../src/static/file-entry.ts";
import { mimeTypeOf } from "../../src/static/mime.ts";

function entry(key: string, size: number, path = `/root${key}`): FileEntry {
  return new FileEntry({
    key,
    path,
    stat: { size, mtimeMs: 0, ino: 1 },
    signature: "",
    mime: mimeTypeOf(key),
    body: Buffer.alloc(size),
    compressible: false,
    siblings: [null, null, null],
    head: { cacheControl: "" },
    now: 0,
  });
}

test("evicts least recently used entries to stay within the byte budget", () => {
  const cost = entry("/x", 1000).cost;
  const cache = new FileCache(3 * cost);
  cache.set(entry("/a", 1000));
  cache.set(entry("/b", 1000));
  cache.set(entry("/c", 1000));
  cache.get("/a");
  cache.set(entry("/d", 1000));
  assert.equal(cache.peek("/b"), undefined, "b was the least recently used");
  assert.ok(cache.peek("/a") && cache.peek("/c") && cache.peek("/d"));
  assert.ok(cache.bytes <= 3 * cost);
});

test("an entry larger than the whole budget is not kept", () => {
  const cache = new FileCache(100);
  cache.set(entry("/big", 1000));
  assert.equal(cache.size, 0);
});

test("invalidate forgets one key; invalidatePath forgets every key of a file", () => {
  const cache = new FileCache(1 << 20);
  cache.set(entry("/", 10, "/root/index.html"));
  cache.set(entry("/index.html", 10, "/root/index.html"));
  cache.set(entry("/x", 10));
  cache.invalidate("/x");
  assert.equal(cache.peek("/x"), undefined);
  cache.invalidatePath("/root/index.html");
  assert.equal(cache.size, 0);
  assert.equal(cache.bytes, 0);
});

test("replacing a key keeps the byte count exact", () => {
  const cache = new FileCache(1 << 20);
  cache.set(entry("/a", 10));
  const before = cache.bytes;
  cache.set(entry("/a", 10));
  assert.equal(cache.bytes, before);
});

test("growth of a cached entry is accounted and may evict others", () => {
  const cache = new FileCache(2 * entry("/x", 10).cost + 10);
  const a = entry("/a", 10);
  cache.set(a);
  cache.set(entry("/b", 10));
  cache.get("/a");
  a.cost += 500; // as FileEntry.addCompressed does
  cache.grow(a, 500);
  assert.equal(cache.peek("/a"), a);
  assert.equal(cache.peek("/b"), undefined, "the older entry made room");
  assert.equal(cache.bytes, a.cost);
});

test("a hot entry in the young half is found without being moved; an older one is moved up", () => {
  const cache = new FileCache(1 << 20);
  const entries = ["/a", "/b", "/c", "/d"].map((key) => entry(key, 10));
  for (const e of entries) cache.set(e);
  const stampOfD = entries[3]!.lruStamp;
  cache.get("/d");
  assert.equal(entries[3]!.lruStamp, stampOfD, "the youngest entry is not re-inserted");
  const stampOfA = entries[0]!.lruStamp;
  cache.get("/a");
  assert.ok(entries[0]!.lruStamp > stampOfA, "an entry in the older half moves to the young end");
});
