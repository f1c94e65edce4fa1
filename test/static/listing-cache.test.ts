// Unit tests for the listing cache: representations rendered once with their own strong validators,
// a 304 beside each 200, pages kept across an unchanged re-read, bounds, and which listings a write voids.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { ListingItem } from "../../src/static/listing.ts";
import { affectedListings, ListingCache, ListingEntry, listingVersionKey } from "../../src/static/listing-cache.ts";

const item = (name: string, size = 1): ListingItem => ({ name, directory: false, size, mtimeMs: Date.UTC(2024, 0, 1) });
const entry = (key: string, items: ListingItem[], version = 0): ListingEntry =>
  new ListingEntry(key, items, version, 0, key, key === "/");

test("each representation is rendered once, with its own strong ETag and a matching 304", () => {
  const e = entry("/d/", [item("a.txt")]);
  const html = e.variant(false);
  assert.equal(e.variant(false), html, "rendered once");
  const json = e.variant(true);
  assert.match(html.etag, /^"h[0-9a-z]+"$/);
  assert.match(json.etag, /^"j[0-9a-z]+"$/);
  assert.equal(html.ok.status, 200);
  assert.equal(html.notModified.status, 304);
  const field = (fields: readonly string[], name: string): string | undefined => fields[fields.indexOf(name) + 1];
  assert.equal(field(html.ok.fields, "Content-Type"), "text/html; charset=utf-8");
  assert.equal(field(json.ok.fields, "Content-Type"), "application/json; charset=utf-8");
  for (const v of [html, json]) {
    for (const fields of [v.ok.fields, v.notModified.fields]) {
      assert.equal(field(fields, "ETag"), v.etag);
      assert.equal(field(fields, "Cache-Control"), "no-cache");
      assert.equal(field(fields, "Vary"), "Accept");
    }
  }
  assert.deepEqual(html.notModified.fields, ["ETag", html.etag, "Cache-Control", "no-cache", "Vary", "Accept"]);
  assert.match(html.ok.body.toString(), /a\.txt/);
});

test("a re-read with the same items keeps the rendered pages; a different one does not", () => {
  const old = entry("/d/", [item("a.txt")]);
  const page = old.variant(false);
  const same = entry("/d/", [item("a.txt")]);
  assert.ok(same.sameAs(old));
  same.adopt(old);
  assert.equal(same.variant(false), page);
  const changed = entry("/d/", [item("a.txt", 2)]);
  assert.equal(changed.sameAs(old), false);
  assert.notEqual(changed.variant(false).etag, page.etag);
});

test("the cache keeps at most its count and bytes, least recently used out", () => {
  const cache = new ListingCache(2, 1 << 20);
  cache.set(entry("/a/", [item("1")]));
  cache.set(entry("/b/", [item("1")]));
  cache.get("/a/");
  cache.set(entry("/c/", [item("1")]));
  assert.equal(cache.size, 2);
  assert.ok(cache.get("/a/") !== undefined && cache.get("/c/") !== undefined && cache.get("/b/") === undefined);

  const small = new ListingCache(10, 50_000);
  const big = entry(
    "/big/",
    Array.from({ length: 500 }, (_, i) => item(`file-${i}.txt`)),
  );
  small.set(big);
  small.set(entry("/x/", [item("1")]));
  big.variant(false); // rendering makes it grow past the bound
  small.get("/x/");
  small.trim();
  assert.equal(small.get("/big/"), undefined);
  assert.notEqual(small.get("/x/"), undefined);
});

test("a change to a file voids its directory's listing and every ancestor's", () => {
  assert.deepEqual(affectedListings("a/b/c.txt"), ["a/b", "a", ""]);
  assert.deepEqual(affectedListings("top.txt"), [""]);
  assert.notEqual(listingVersionKey("a"), listingVersionKey("b"));
  assert.notEqual(listingVersionKey("a"), "a", "never the key of the directory itself");
});

test("a GET whose If-None-Match holds the representation's ETag gets its 304, any other the 200", () => {
  const e = entry("/d/", [item("a.txt")]);
  const html = e.variant(false);
  const json = e.variant(true);
  assert.equal(e.response(false, undefined), html.ok);
  assert.equal(e.response(false, html.etag), html.notModified);
  assert.equal(e.response(false, `"other", W/${html.etag}`), html.notModified, "weak comparison");
  assert.equal(e.response(false, "*"), html.notModified);
  assert.equal(e.response(true, html.etag), json.ok, "the HTML tag does not match the JSON page");
});
