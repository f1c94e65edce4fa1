// Unit tests for the listing cache: representations (JSON, and the page in each sort order) rendered once
// with their own strong validators, a 304 beside each 200, pages kept across an unchanged re-read,
// bounds, and which listings a write voids.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { ListingItem } from "../../src/static/listing.ts";
import { affectedListings, ListingCache, ListingEntry, listingVersionKey } from "../../src/static/listing-cache.ts";
import { LISTING_CSP, LISTING_VIEWS, listingView } from "../../src/static/listing-page.ts";

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

test("sort orders are pages of the same entry: at most six, each with its own ETag, rows rendered once", () => {
  const e = entry("/d/", [item("file-10.txt", 5), item("file-2.txt", 7)]);
  const etags = new Set<string>();
  for (let view = 0; view < LISTING_VIEWS; view++) {
    const page = e.variant(false, view);
    assert.equal(e.variant(false, view), page, "rendered once per view");
    assert.match(page.etag, /^"h[0-9a-z]+"$/);
    etags.add(page.etag);
    const field = (name: string): string | undefined => page.ok.fields[page.ok.fields.indexOf(name) + 1];
    assert.equal(field("Content-Security-Policy"), LISTING_CSP);
  }
  assert.equal(etags.size, LISTING_VIEWS);
  assert.equal(e.response(false, undefined, listingView("?sort=size&order=desc")), e.variant(false, 3).ok);
  assert.equal(e.response(false, e.variant(false, 3).etag, 3), e.variant(false, 3).notModified);
  assert.equal(
    e.response(false, e.variant(false, 3).etag, 0),
    e.variant(false, 0).ok,
    "another view's tag is not this one's",
  );
});

test("a re-read with the same items keeps every view's page", () => {
  const old = entry("/d/", [item("a.txt")]);
  const pages = [old.variant(false, 0), old.variant(false, 5)];
  const same = entry("/d/", [item("a.txt")]);
  same.adopt(old);
  assert.equal(same.variant(false, 0), pages[0]);
  assert.equal(same.variant(false, 5), pages[1]);
  assert.ok(same.bytes >= pages[0]!.ok.body.length + pages[1]!.ok.body.length, "adopted pages count against the bound");
});
