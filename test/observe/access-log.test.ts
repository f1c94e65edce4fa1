// Unit tests for the audit line's field encoding (access-log.ts): what is kept as it is, what is
// percent-encoded, and that the encoding can be undone, so one line always means one request.

import assert from "node:assert/strict";
import { test } from "node:test";
import { auditField } from "../../src/observe/access-log.ts";

test("printable ASCII other than , and % is kept as it is", () => {
  assert.equal(auditField("/a/b.txt?x=1&y=[2]"), "/a/b.txt?x=1&y=[2]");
  assert.equal(auditField("GET"), "GET");
});

test("the separator, % itself, control bytes and bytes from 0x80 are percent-encoded", () => {
  assert.equal(auditField("x,404,y"), "x%2C404%2Cy");
  assert.equal(auditField("100%"), "100%25");
  assert.equal(auditField("a\tb\u0000c\u007f"), "a%09b%00c%7F");
  assert.equal(auditField("n\u0085l\u00ff"), "n%85l%FF");
});

test("a field never received is a dash", () => {
  assert.equal(auditField(""), "-");
});

test("decoding gives the field back, so two different fields never encode alike", () => {
  for (const field of ["a,b", "a%2Cb", "%", "%25", "\u0085", "x y", "é"]) {
    const encoded = auditField(field);
    assert.equal(
      encoded.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
      field,
    );
  }
});
