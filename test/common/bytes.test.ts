// Byte helpers: copyBytes copies exactly the range asked, short (loop) and long (bulk) alike.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  copyAll,
  copyBytes,
  decimalDigits,
  equalsLowerAscii,
  trimWhitespaceEnd,
  writeDecimal,
} from "../../src/common/bytes.ts";

test("copyBytes copies short and long ranges to the offset given and returns the count", () => {
  for (const length of [0, 1, 23, 24, 25, 47, 48, 49, 300]) {
    const src = Buffer.from(Array.from({ length: length + 10 }, (_, i) => (i * 7) & 0xff));
    const dst = Buffer.alloc(length + 20, 0xee);
    assert.equal(copyBytes(src, 5, 5 + length, dst, 3), length);
    assert.deepEqual(dst.subarray(3, 3 + length), src.subarray(5, 5 + length));
    assert.equal(dst[2], 0xee);
    assert.equal(dst[3 + length], 0xee);
  }
});

test("copyAll copies a whole buffer, short or long, to the offset given", () => {
  for (const text of ["", "ab", "x".repeat(25), "y".repeat(100)]) {
    const dst = Buffer.alloc(text.length + 4, 0x2e);
    assert.equal(copyAll(Buffer.from(text), dst, 2), text.length);
    assert.equal(dst.toString(), `..${text}..`);
  }
});

test("equalsLowerAscii ignores ASCII case; trimWhitespaceEnd drops trailing SP and HTAB", () => {
  const buf = Buffer.from("Content-Type \t");
  assert.ok(equalsLowerAscii(buf, 0, 12, "content-type"));
  assert.ok(!equalsLowerAscii(buf, 0, 12, "content-typo"));
  assert.equal(trimWhitespaceEnd(buf, 0, buf.length), 12);
});

test("decimal lengths are written exactly, small and past 2^31 alike", () => {
  for (const n of [
    0,
    7,
    9,
    10,
    99,
    100,
    1024,
    65_535,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32 + 5,
    999_999_999_999_999,
    Number.MAX_SAFE_INTEGER,
  ]) {
    const digits = decimalDigits(n);
    assert.equal(digits, String(n).length, `digits of ${n}`);
    const out = Buffer.alloc(digits + 2, 0x2e);
    writeDecimal(out, 1, digits, n);
    assert.equal(out.toString("latin1"), `.${n}.`);
  }
});
