// Affinity keys for hashing: key sources parse strictly, cookies are found by exact name.

import assert from "node:assert/strict";
import { test } from "node:test";
import { cookieValue, parseAffinity } from "../../src/proxy/affinity.ts";

test("parses ip, header:NAME and cookie:NAME", () => {
  assert.deepEqual(parseAffinity("ip"), { kind: "ip" });
  assert.deepEqual(parseAffinity("header:X-User"), { kind: "header", name: "x-user" });
  assert.deepEqual(parseAffinity("cookie:sid"), { kind: "cookie", name: "sid" });
  assert.equal(parseAffinity("cookie:"), null);
  assert.equal(parseAffinity("query:x"), null);
});

test("finds a cookie by exact name", () => {
  assert.equal(cookieValue("a=1; sid=abc; sidx=2", "sid"), "abc");
  assert.equal(cookieValue("sidx=2", "sid"), "");
  assert.equal(cookieValue("", "sid"), "");
});
