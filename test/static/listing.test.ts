// Unit tests for directory listings: ordering, escaping, encoding, JSON shape, hidden entries, reading
// in bounded slices, date formatting and the tag that validates a listing.

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
  renderListingHtml,
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

test("names are HTML-escaped in text and URL-encoded in links", () => {
  const html = renderListingHtml("/d/", [item(`<script>alert("x")</script>&'.txt`), item("a b?#", true)], false);
  assert.ok(!html.includes("<script>alert"));
  assert.ok(html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;.txt"));
  assert.ok(html.includes('href="a%20b%3F%23/"'));
  assert.ok(html.includes('href="%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E%26&#39;.txt"'));
});

test("a parent link everywhere but the root; the title shows the escaped path", () => {
  assert.ok(renderListingHtml("/d/", [], false).includes('href="../"'));
  assert.ok(!renderListingHtml("/", [], true).includes('href="../"'));
  assert.ok(renderListingHtml("/<x>/", [], false).includes("<title>Index of /&lt;x&gt;/</title>"));
});

test("sizes and dates appear for files", () => {
  const html = renderListingHtml("/", [item("f.txt", false, 1234)], true);
  assert.ok(html.includes("<td>1234</td>"));
  assert.ok(html.includes("2024-01-01 00:00"));
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
