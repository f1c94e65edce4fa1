// Prefix matching of proxy routes: segment boundaries, trailing slashes, the catch-all; dot segments.

import assert from "node:assert/strict";
import { test } from "node:test";
import { coversPath, hasDotSegment } from "../../src/proxy/handler.ts";

test("a prefix covers itself and paths below it, on segment boundaries only", () => {
  assert.equal(coversPath("/api", "/api"), true);
  assert.equal(coversPath("/api", "/api/users"), true);
  assert.equal(coversPath("/api", "/apiary"), false);
  assert.equal(coversPath("/api/", "/api/users"), true);
  assert.equal(coversPath("/api/", "/api"), false);
  assert.equal(coversPath("/", "/anything"), true);
});

test("dot segments are found plain and percent-encoded, and only as whole segments", () => {
  for (const path of ["/api/../admin", "/api/./x", "/api/%2e%2e/admin", "/api/%2E%2e", "/a/.%2e/b", "/.."]) {
    assert.equal(hasDotSegment(path), true, path);
  }
  for (const path of ["/api/x.y", "/api/...", "/api/.well-known", "/api/%2e%2e%2e", "/api/a..b", "/"]) {
    assert.equal(hasDotSegment(path), false, path);
  }
});
