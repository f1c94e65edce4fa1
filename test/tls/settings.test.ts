import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeAlpn } from "../../src/tls/settings.ts";

test("ALPN ids are length-prefixed (RFC 7301 §3.1)", () => {
  assert.deepEqual([...encodeAlpn(["h2", "http/1.1"])], [2, 104, 50, 8, ...Buffer.from("http/1.1")]);
  assert.throws(() => encodeAlpn([""]), RangeError);
});
