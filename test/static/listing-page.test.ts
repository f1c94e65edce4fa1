// Unit tests for the listing page: escaping and encoding of names (tricky ones included), breadcrumbs,
// human-readable sizes with exact bytes, sortable columns and the six views a query can pick, dates that
// never wrap, the viewport tag, dark mode, and a Content-Security-Policy that allows exactly its inline parts.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { type ListingItem, sortListing } from "../../src/static/listing.ts";
import {
  formatSize,
  LISTING_CSP,
  LISTING_VIEWS,
  listingOrder,
  listingView,
  renderListingHtml,
} from "../../src/static/listing-page.ts";

const item = (name: string, directory = false, size = 1, day = 1): ListingItem => ({
  name,
  directory,
  size,
  mtimeMs: Date.UTC(2024, 0, day),
});

/** The link texts of the table's rows, in page order. */
function names(html: string): string[] {
  const body = html.slice(html.indexOf("<tbody>"), html.indexOf("</tbody>"));
  return [...body.matchAll(/<td class="n"><a href="[^"]*">([^<]*)<\/a>/g)].map((m) => m[1]!);
}

test("names are HTML-escaped in text and URL-encoded in links", () => {
  const html = renderListingHtml("/d/", [item(`<script>alert("x")</script>&'.txt`), item("a b?#", true)], false);
  assert.ok(!html.includes("<script>alert"));
  assert.ok(html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;.txt"));
  assert.ok(html.includes('href="a%20b%3F%23/"'));
  assert.ok(html.includes('href="%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E%26&#39;.txt"'));
});

test("tricky names: a scheme-like name, an attribute breaker, a comment opener and non-ASCII stay inert", () => {
  const tricky = ["javascript:alert(1)", `" onmouseover="x`, "<!--", "café ünï 名前.txt", "100%.txt", "a\tb"];
  const html = renderListingHtml(
    "/",
    tricky.map((n) => item(n)),
    true,
  );
  assert.ok(html.includes('href="javascript%3Aalert(1)"'), "the colon is encoded: never a scheme");
  assert.ok(html.includes("&quot; onmouseover=&quot;x"));
  assert.ok(!html.includes('" onmouseover="'));
  assert.ok(html.includes("&lt;!--") && !html.includes("<!--"));
  assert.ok(html.includes(`href="${encodeURIComponent("café ünï 名前.txt")}"`));
  assert.ok(html.includes(">café ünï 名前.txt<"));
  assert.ok(html.includes('href="100%25.txt"'));
  assert.ok(html.includes('href="a%09b"'));
});

test("a parent link everywhere but the root; the title shows the escaped path", () => {
  assert.ok(renderListingHtml("/d/", [], false).includes('<a href="../">../</a>'));
  assert.ok(!renderListingHtml("/", [], true).includes('href="../"'));
  assert.ok(renderListingHtml("/<x>/", [], false).includes("<title>Index of /&lt;x&gt;/</title>"));
});

test("breadcrumbs link every segment of the path, relatively, escaped", () => {
  const html = renderListingHtml("/a/<b>/c/", [], false);
  const h1 = /<h1>(.*)<\/h1>/.exec(html)![1]!;
  assert.equal(
    h1,
    'Index of <a href="../../../">/</a><a href="../../">a</a>/<a href="../">&lt;b&gt;</a>/<a href="./">c</a>/',
  );
  assert.equal(h1.replace(/<[^>]+>/g, ""), "Index of /a/&lt;b&gt;/c/");
  assert.match(renderListingHtml("/", [], true), /<h1>Index of <a href="\.\/">\/<\/a><\/h1>/);
});

test("sizes are human-readable with the exact bytes in a tooltip; directories show none", () => {
  const html = renderListingHtml("/", [item("f.txt", false, 1234), item("d", true)], true);
  assert.ok(html.includes('<td class="s" title="1234 bytes">1.2 KiB</td>'));
  assert.ok(html.includes('<td class="s">&#8212;</td>'));
  assert.equal(formatSize(0), "0 B");
  assert.equal(formatSize(1023), "1023 B");
  assert.equal(formatSize(1024), "1.0 KiB");
  assert.equal(formatSize(10 * 1024 + 600), "11 KiB");
  assert.equal(formatSize(1024 * 1024 - 1), "1.0 MiB");
  assert.equal(formatSize(5 * 1024 ** 3), "5.0 GiB");
  assert.equal(formatSize(3 * 1024 ** 4), "3.0 TiB");
});

test("dates are compact UTC with a machine-readable datetime, and never wrap", () => {
  const html = renderListingHtml("/", [item("f.txt", false, 1, 2)], true);
  assert.ok(html.includes('<time datetime="2024-01-02T00:00Z">2024-01-02<span class="t"> 00:00</span></time>'));
  assert.match(html, /\.s,\.m\{[^}]*white-space:nowrap/);
});

test("the page has a viewport tag, dark mode by media query, no external asset and a filter box that script reveals", () => {
  const html = renderListingHtml("/", [item("a")], true);
  assert.ok(html.includes('<meta name="viewport" content="width=device-width, initial-scale=1">'));
  assert.ok(html.includes("@media (prefers-color-scheme:dark)"));
  assert.ok(html.includes("@media (max-width:600px)"));
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, "nothing loaded from elsewhere");
  assert.doesNotMatch(html, /<(script|link)[^>]* src=/);
  assert.match(html, /<input id="filter" type="search"[^>]* hidden>/, "hidden until the script runs");
});

test("the Content-Security-Policy allows exactly the page's inline style and script", () => {
  const html = renderListingHtml("/", [item("a")], true);
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
  const hash = (text: string): string => createHash("sha256").update(text).digest("base64");
  // The hashes are written out in listing-page.ts (no node:crypto at start-up): a changed text needs its new one.
  assert.ok(LISTING_CSP.includes(`style-src 'sha256-${hash(style)}'`), `STYLE_SHA256 should be "${hash(style)}"`);
  assert.ok(LISTING_CSP.includes(`script-src 'sha256-${hash(script)}'`), `SCRIPT_SHA256 should be "${hash(script)}"`);
  assert.match(LISTING_CSP, /^default-src 'none'/);
});

test("column headers link to their sort order; the current one toggles and is marked", () => {
  const items = [item("a", false, 3)];
  const byName = renderListingHtml("/", items, true, 0);
  assert.ok(
    byName.includes('<th class="n" aria-sort="ascending"><a href="?sort=name&amp;order=desc">Name &#8593;</a></th>'),
  );
  assert.ok(byName.includes('<a href="?sort=size&amp;order=asc">Size</a>'));
  assert.ok(byName.includes('<a href="?sort=modified&amp;order=asc">Modified (UTC)</a>'));
  const bySizeDesc = renderListingHtml("/", items, true, listingView("?sort=size&order=desc"));
  assert.ok(bySizeDesc.includes('aria-sort="descending"><a href="?sort=size&amp;order=asc">Size &#8595;</a>'));
});

test("a query picks one of six views; anything else is the default", () => {
  assert.equal(LISTING_VIEWS, 6);
  assert.equal(listingView(""), 0);
  assert.equal(listingView("?sort=name&order=desc"), 1);
  assert.equal(listingView("?sort=size"), 2);
  assert.equal(listingView("?order=desc&sort=modified"), 5);
  assert.equal(listingView("?sort=bogus&order=sideways&x=1"), 0);
  for (const q of ["?sort=size&order=desc", "?sort=%00", "?a&b=&=c", "?sort=name&sort=size"])
    assert.ok(listingView(q) >= 0 && listingView(q) < LISTING_VIEWS, q);
});

test("every view keeps directories first and sorts by its column, ties by name", () => {
  const items = sortListing([
    item("big.bin", false, 5000, 1),
    item("file-10.txt", false, 10, 3),
    item("file-2.txt", false, 10, 2),
    item("zdir", true, 0, 1),
    item("adir", true, 0, 5),
  ]);
  const render = (query: string): string[] => names(renderListingHtml("/", items, true, listingView(query)));
  assert.deepEqual(render(""), ["adir/", "zdir/", "big.bin", "file-2.txt", "file-10.txt"]);
  assert.deepEqual(render("?sort=name&order=desc"), ["zdir/", "adir/", "file-10.txt", "file-2.txt", "big.bin"]);
  assert.deepEqual(render("?sort=size"), ["adir/", "zdir/", "file-2.txt", "file-10.txt", "big.bin"]);
  assert.deepEqual(render("?sort=size&order=desc"), ["zdir/", "adir/", "big.bin", "file-10.txt", "file-2.txt"]);
  assert.deepEqual(render("?sort=modified"), ["zdir/", "adir/", "big.bin", "file-2.txt", "file-10.txt"]);
  assert.deepEqual(render("?sort=modified&order=desc"), ["adir/", "zdir/", "file-10.txt", "file-2.txt", "big.bin"]);
  // listingOrder is a permutation of the items.
  for (let view = 0; view < LISTING_VIEWS; view++)
    assert.deepEqual([...listingOrder(items, view)].sort(), [0, 1, 2, 3, 4]);
});
