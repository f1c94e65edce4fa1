// Prefix matching of proxy routes: segment boundaries, trailing slashes, the catch-all.

import assert from "node:assert/strict";
import { test } from "node:test";
import { coversPath } from "../../src/proxy/handler.ts";

test("a prefix covers itself and paths below it, on segment boundaries only", () => {
  assert.equal(coversPath("/api", "/api"), true);
  assert.equal(coversPath("/api", "/api/users"), true);
  assert.equal(coversPath("/api", "/apiary"), false);
  assert.equal(coversPath("/api/", "/api/users"), true);
  assert.equal(coversPath("/api/", "/api"), false);
  assert.equal(coversPath("/", "/anything"), true);
});
