// Unit tests for path resolution: decode once, NUL, dot segments, encoded slashes, backslashes, dotfiles.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { resolvePath } from "../../src/static/resolve.ts";

function rel(p: string, dotfiles = false): string | number {
  const r = resolvePath(p, { dotfiles });
  return r.ok ? r.relative : r.status;
}

test("plain paths map to relative names; the trailing slash is reported", () => {
  assert.equal(rel("/"), "");
  assert.equal(rel("/a/b.txt"), "a/b.txt");
  const r = resolvePath("/dir/", { dotfiles: false });
  assert.ok(r.ok && r.trailingSlash && r.relative === "dir");
  const s = resolvePath("/dir", { dotfiles: false });
  assert.ok(s.ok && !s.trailingSlash);
});

test("percent-decoding happens exactly once", () => {
  assert.equal(rel("/a%20b"), "a b");
  assert.equal(rel("/a%2520b"), "a%20b");
  assert.equal(rel("/caf%C3%A9"), "café");
});

test("malformed escapes are 400; well-formed escapes that are not UTF-8 are 404", () => {
  assert.equal(rel("/a%zz"), 400);
  assert.equal(rel("/a%4"), 400);
  assert.equal(rel("/a%"), 400);
  assert.equal(rel("/a%FF"), 404);
});

test("NUL, raw or encoded, is 400", () => {
  assert.equal(rel("/a%00b"), 400);
});

test("dot segments are removed (RFC 3986 §5.2.4), encoded ones too, never above the root", () => {
  assert.equal(rel("/a/./b/../c"), "a/c");
  assert.equal(rel("/../../etc/passwd"), "etc/passwd");
  assert.equal(rel("/%2e%2e/%2E%2E/etc/passwd"), "etc/passwd");
  assert.equal(rel("/a/b/.."), "a");
  assert.equal(rel("//a//b"), "a/b");
  const r = resolvePath("/a/b/..", { dotfiles: false });
  assert.ok(r.ok && r.trailingSlash, "a path ending in .. names a directory");
});

test("an encoded slash never creates a segment boundary", () => {
  assert.equal(rel("/a%2Fb"), 404);
  assert.equal(rel("/a%2f..%2f..%2fetc"), 404);
});

test("a backslash is an ordinary character, not a separator", () => {
  assert.equal(rel("/a\\..\\b"), "a\\..\\b");
  assert.equal(rel("/a%5C..%5Cb"), "a\\..\\b");
});

test("dotfiles are hidden unless allowed; /.well-known/ is served", () => {
  assert.equal(rel("/.git/config"), 404);
  assert.equal(rel("/a/.env"), 404);
  assert.equal(rel("/%2egit/config"), 404);
  assert.equal(rel("/.git/config", true), ".git/config");
  assert.equal(rel("/.well-known/acme"), ".well-known/acme");
  assert.equal(rel("/a/.well-known/x"), 404);
});

test("a path must start with /", () => {
  assert.equal(rel("*"), 400);
  assert.equal(rel(""), 400);
});

test("no input resolves to a path with a dot segment, an absolute path, NUL or a hidden segment", () => {
  const piece = fc.constantFrom(
    "a",
    "..",
    ".",
    "%2e",
    "%2E%2e",
    "%2f",
    "%5c",
    "\\",
    "%00",
    ".git",
    "%2egit",
    "b c",
    "%",
    "%zz",
    "/",
    "//",
    "é",
    "%C3%A9",
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
      const r = resolvePath(`/${pieces.join("")}`, { dotfiles: false });
      if (!r.ok) return;
      assert.ok(!r.relative.startsWith("/"));
      assert.ok(!r.relative.includes("\0"));
      for (const segment of r.relative.split("/")) {
        assert.notEqual(segment, "..");
        assert.notEqual(segment, ".");
        assert.ok(!segment.startsWith(".") || segment === ".well-known", r.relative);
      }
      assert.deepEqual(r.segments.join("/"), r.relative);
    }),
    { numRuns: 2000 },
  );
});
