// Unit tests for the listing store: a fresh listing is answered from memory, a changed version is read
// again, requests meanwhile share one read, and past the revalidation bound one request re-reads while
// the others get the listing kept.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import type { ListingEntry } from "../../src/static/listing-cache.ts";
import { type ListingPlace, ListingStore } from "../../src/static/listing-store.ts";
import { DiskMap } from "../../src/static/lookup.ts";
import { makeSite } from "../helpers/server.ts";

function setup(revalidateMs: number): { store: ListingStore; place: ListingPlace; root: string } {
  const root = fs.realpathSync(makeSite({ "d/a.txt": "a" }));
  const store = new ListingStore(new DiskMap(root, { followSymlinks: false, index: [] }), revalidateMs);
  const place: ListingPlace = { key: "/d/", dir: path.join(root, "d"), displayPath: "/d/", isRoot: false };
  return { store, place, root };
}

const names = (entry: ListingEntry): string[] => entry.items.map((i) => i.name);

test("requests that want a listing while it is read share one read", async () => {
  const { store, place } = setup(60_000);
  const first = store.current(place, 0);
  const second = store.current(place, 0);
  assert.ok(first instanceof Promise);
  assert.equal(second, first, "the same read");
  assert.deepEqual(names(await first), ["a.txt"]);
});

test("a fresh listing is answered from memory; a new version (a write) is read again", async () => {
  const { store, place, root } = setup(60_000);
  const read = await store.current(place, 0);
  assert.equal(store.current(place, 0), read, "from memory, no read");
  fs.writeFileSync(path.join(root, "d/b.txt"), "b");
  assert.equal(store.current(place, 0), read, "a change not made through Portico waits for the bound");
  const next = store.current(place, 1);
  assert.ok(next instanceof Promise);
  assert.deepEqual(names(await next), ["a.txt", "b.txt"]);
});

test("past the revalidation bound one request reads again while the others get the listing kept", async () => {
  const { store, place } = setup(0);
  const old = await store.current(place, 0);
  const page = old.variant(false);
  const again = store.current(place, 0);
  assert.ok(again instanceof Promise, "stale: read again");
  assert.equal(store.current(place, 0), old, "meanwhile answered from memory");
  const fresh = await again;
  assert.notEqual(fresh, old);
  assert.equal(fresh.variant(false), page, "unchanged items keep the rendered page");
});

test("a directory that cannot be read rejects, and the next request tries again", async () => {
  const { store, place, root } = setup(60_000);
  fs.rmSync(path.join(root, "d"), { recursive: true });
  await assert.rejects(Promise.resolve(store.current(place, 0)), { code: "ENOENT" });
  fs.mkdirSync(path.join(root, "d"));
  assert.deepEqual(names(await store.current(place, 0)), []);
});
