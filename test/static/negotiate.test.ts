// Unit tests for negotiation: Accept-Encoding with q-values, Accept for HTML and JSON.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ENCODINGS } from "../../src/static/file-entry.ts";
import { acceptedEncodings, acceptsHtml, prefersJson } from "../../src/static/negotiate.ts";

function names(value: string): string[] {
  return acceptedEncodings(value).map((i) => ENCODINGS[i]!);
}

test("equal weights follow the server's order: br, zstd, gzip", () => {
  assert.deepEqual(names("gzip, deflate, br, zstd"), ["br", "zstd", "gzip"]);
  assert.deepEqual(names("gzip"), ["gzip"]);
  assert.deepEqual(names("x-gzip"), ["gzip"]);
  assert.deepEqual(names("GZIP"), ["gzip"]);
});

test("q-values order and exclude codings", () => {
  assert.deepEqual(names("br;q=0.5, gzip;q=0.8"), ["gzip", "br"]);
  assert.deepEqual(names("br;q=0, gzip"), ["gzip"]);
  assert.deepEqual(names("gzip;q=0"), []);
  assert.deepEqual(names("gzip; q=1.0, zstd ;q=0.9"), ["gzip", "zstd"]);
  assert.deepEqual(names("gzip;q=2"), [], "out-of-range q is malformed: not acceptable");
});

test("* covers codings not named; identity and unknown codings give nothing", () => {
  assert.deepEqual(names("*"), ["br", "zstd", "gzip"]);
  assert.deepEqual(names("gzip;q=0, *"), ["br", "zstd"]);
  assert.deepEqual(names("*;q=0"), []);
  assert.deepEqual(names("identity"), []);
  assert.deepEqual(names("deflate, compress"), []);
  assert.deepEqual(names(""), []);
});

test("the same header value returns the same parsed object (cached)", () => {
  assert.equal(acceptedEncodings("gzip, br"), acceptedEncodings("gzip, br"));
});

test("acceptsHtml needs text/html named with q > 0", () => {
  assert.equal(acceptsHtml("text/html,application/xhtml+xml,*/*;q=0.8"), true);
  assert.equal(acceptsHtml("*/*"), false);
  assert.equal(acceptsHtml("text/html;q=0"), false);
  assert.equal(acceptsHtml(undefined), false);
});

test("prefersJson when application/json is named and weighs at least as much as HTML", () => {
  assert.equal(prefersJson("application/json"), true);
  assert.equal(prefersJson("application/json, text/plain, */*"), true);
  assert.equal(prefersJson("text/html, application/json;q=0.9"), false);
  assert.equal(prefersJson("text/html"), false);
  assert.equal(prefersJson("*/*"), false);
  assert.equal(prefersJson(undefined), false);
});
