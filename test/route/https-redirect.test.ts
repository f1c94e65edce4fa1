import assert from "node:assert/strict";
import { test } from "node:test";
import { hostWithoutPort } from "../../src/route/https-redirect.ts";

test("the host of a Host field, without its port; anything that could leave the URL is refused", () => {
  assert.equal(hostWithoutPort("example.com"), "example.com");
  assert.equal(hostWithoutPort("example.com:8080"), "example.com");
  assert.equal(hostWithoutPort("[::1]:80"), "[::1]");
  assert.equal(hostWithoutPort("[::1"), "");
  assert.equal(hostWithoutPort(""), "");
  assert.equal(hostWithoutPort("evil.test/path"), "");
  assert.equal(hostWithoutPort("a b"), "");
});
