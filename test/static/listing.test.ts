// Unit tests for directory listings: natural ordering, escaping, JSON shape, hidden entries, reading in
// bounded slices, date formatting and the tag that validates a listing. The page: listing-page.test.ts.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import {
  escapeHtml,
  formatHttpDate,
  formatListingDate,
  type ListingItem,
  listingTag,
  readListing,
  renderListingJson,
  sortListing,
} from "../../src/static/listing.ts";
import { DiskMap } from "../../src/static/lookup.ts";
import { makeSite } from "../helpers/server.ts";

const item = (name: string, directory = false, size = 1): ListingItem => ({
  name,
  directory,
  size,
  mtimeMs: Date.UTC(2024, 0, 1),
});

test("directories come first, then files, each by name", () => {
  const sorted = sortListing([item("b.txt"), item("zdir", true), item("a.txt"), item("adir", true)]);
  assert.deepEqual(
    sorted.map((i) => i.name),
    ["adir", "zdir", "a.txt", "b.txt"],
  );
});

test("natural sort: file-2 before file-10, case-insensitive, ties by code point", () => {
  const names = ["file-10.txt", "File-3.txt", "file-2.txt", "file-1.txt", "B.txt", "a.txt", "file-02.txt", "A.txt"];
  assert.deepEqual(
    sortListing(names.map((n) => item(n))).map((i) => i.name),
    ["A.txt", "a.txt", "B.txt", "file-1.txt", "file-02.txt", "file-2.txt", "File-3.txt", "file-10.txt"],
  );
  // Numbers of any length in one directory, and names without digits among them.
  assert.deepEqual(
    sortListing([item("v1.10.0"), item("v1.9.2"), item("v1.9.10"), item("v"), item("v10")]).map((i) => i.name),
    ["v", "v1.9.2", "v1.9.10", "v1.10.0", "v10"],
  );
});

test("JSON listing follows nginx's autoindex shape", () => {
  const json = JSON.parse(renderListingJson([item("d", true), item("f", false, 5)]));
  assert.deepEqual(json, [
    { name: "d", type: "directory", mtime: "Mon, 01 Jan 2024 00:00:00 GMT" },
    { name: "f", type: "file", mtime: "Mon, 01 Jan 2024 00:00:00 GMT", size: 5 },
  ]);
});

test("escapeHtml covers the five special characters", () => {
  assert.equal(escapeHtml(`&<>"'`), "&amp;&lt;&gt;&quot;&#39;");
});

test("readListing hides dotfiles and symlinks leaving the root", () => {
  const outside = makeSite({ "secret.txt": "s" });
  const root = makeSite({ "a.txt": "a", ".env": "x", "sub/b.txt": "b" });
  fs.symlinkSync(path.join(outside, "secret.txt"), path.join(root, "link-out"));
  fs.symlinkSync(path.join(root, "a.txt"), path.join(root, "link-in"));
  return readListing(root, new DiskMap(root, { followSymlinks: false, index: [] })).then((items) => {
    assert.deepEqual(
      items.map((i) => i.name),
      ["sub", "a.txt", "link-in"],
    );
  });
});

test("reading a large directory lets other work run in between (bounded work per turn)", async () => {
  const root = makeSite({});
  for (let i = 0; i < 2000; i++) fs.writeFileSync(path.join(root, `f${i}`), "x");
  let turns = 0;
  let reading = true;
  const count = (): void => {
    if (!reading) return;
    turns++;
    setImmediate(count);
  };
  setImmediate(count);
  const items = await readListing(root, new DiskMap(root, { followSymlinks: false, index: [] }));
  reading = false;
  assert.equal(items.length, 2000);
  assert.ok(turns >= 3, `other work ran ${turns} times meanwhile`);
});

test("dates are formatted as Date would, in both shapes", () => {
  for (const ms of [0, 951_782_400_000, 1_704_067_199_999, 1_709_164_800_000, 4_102_444_800_000, -86_400_001]) {
    assert.equal(formatListingDate(ms), new Date(ms).toISOString().slice(0, 16).replace("T", " "), String(ms));
    assert.equal(formatHttpDate(ms), new Date(ms).toUTCString(), String(ms));
  }
});

test("a listing's tag changes with any name, kind, size or time, and only then", () => {
  const base = [item("a.txt"), item("d", true)];
  const tag = listingTag(base);
  assert.equal(listingTag([item("a.txt"), item("d", true)]), tag);
  assert.notEqual(listingTag([item("b.txt"), item("d", true)]), tag);
  assert.notEqual(listingTag([item("a.txt", false, 2), item("d", true)]), tag);
  assert.notEqual(listingTag([item("a.txt"), item("d", false)]), tag);
  assert.notEqual(listingTag([{ ...item("a.txt"), mtimeMs: Date.UTC(2024, 0, 2) }, item("d", true)]), tag);
  assert.notEqual(
    listingTag([item("a.txt", false, 2 ** 40), item("d", true)]),
    listingTag([item("a.txt", false, 2 ** 41), item("d", true)]),
  );
});
