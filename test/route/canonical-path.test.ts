// Unit tests for the path routes are matched on: decoded once per segment, "%2F" kept, empty and dot
// segments resolved without climbing above the root.

import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalPath, isCanonical } from "../../src/route/canonical-path.ts";

test("most paths need nothing done: two string searches say so", () => {
  assert.equal(isCanonical("/api/users/1", false), true);
  assert.equal(isCanonical("/a%20b", false), false);
  assert.equal(isCanonical("/a//b", false), false);
  assert.equal(isCanonical("/a/./b", true), false);
});

test("escapes are decoded once, as UTF-8; an escaped slash stays escaped", () => {
  assert.equal(canonicalPath("/%61dmin/"), "/admin/");
  assert.equal(canonicalPath("/caf%C3%A9"), "/café");
  assert.equal(canonicalPath("/%2561"), "/%61", "decoded once, not twice");
  assert.equal(canonicalPath("/a%2Fb/c"), "/a%2Fb/c");
  assert.equal(canonicalPath("/a%2fb"), "/a%2Fb");
});

test("empty and dot segments go, a trailing slash stays, .. never climbs above the root", () => {
  assert.equal(canonicalPath("//admin///x"), "/admin/x");
  assert.equal(canonicalPath("/a/./b/"), "/a/b/");
  assert.equal(canonicalPath("/a/b/../c"), "/a/c");
  assert.equal(canonicalPath("/../../etc/passwd"), "/etc/passwd");
  assert.equal(canonicalPath("/a/.."), "/");
  assert.equal(canonicalPath("/a/%2e%2e/b"), "/b", "an escaped dot segment is a dot segment");
});

test("a malformed escape gives null", () => {
  assert.equal(canonicalPath("/a%zz"), null);
  assert.equal(canonicalPath("/a%2"), null);
});
