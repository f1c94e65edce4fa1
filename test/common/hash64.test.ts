import assert from "node:assert/strict";
import { test } from "node:test";
import { hash64 } from "../../src/common/hash64.ts";

test("hash64 is FNV-1a 64 over UTF-16 code units, as a signed 64-bit value", () => {
  // The published FNV-1a 64 vectors: "" is the offset basis, "a" and "foobar" hash to these.
  assert.equal(hash64(""), BigInt.asIntN(64, 0xcbf29ce484222325n));
  assert.equal(hash64("a"), BigInt.asIntN(64, 0xaf63dc4c8601ec8cn));
  assert.equal(hash64("foobar"), BigInt.asIntN(64, 0x85944171f73967e8n));
  const v = hash64("example.com\u0000/api/");
  assert.ok(v >= -(2n ** 63n) && v < 2n ** 63n, "fits a BigInt64Array slot");
});

test("hash64 tells apart keys that differ only where the separator falls", () => {
  assert.notEqual(hash64("a\u0000bc"), hash64("ab\u0000c"));
  const seen = new Set<bigint>();
  for (let i = 0; i < 10_000; i++) seen.add(hash64(`site${i % 7}\u0000/route/${i}`));
  assert.equal(seen.size, 10_000);
});
