// Host names are normalised before the virtual-host lookup.

import assert from "node:assert/strict";
import { test } from "node:test";
import { hostName } from "../../src/route/host-router.ts";

test("host names lose their port, case and trailing dot", () => {
  assert.equal(hostName("Example.COM:8080"), "example.com");
  assert.equal(hostName("example.com."), "example.com");
  assert.equal(hostName("[::1]:80"), "[::1]");
  assert.equal(hostName("localhost"), "localhost");
  assert.equal(hostName(""), "");
});
