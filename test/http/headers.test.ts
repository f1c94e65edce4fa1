// Field identification while parsing: every known name in any case maps to its id; names that share
// a length and first letter with a known one, or differ in one byte, do not.

import assert from "node:assert/strict";
import { test } from "node:test";
import { identifyField, KNOWN_FIELDS, knownFieldId } from "../../src/http/headers.ts";

function id(name: string): number {
  const bytes = Buffer.from(`X${name}Y`, "latin1");
  return identifyField(bytes, 1, bytes.length - 1);
}

test("every known field name is identified in lower, upper and mixed case", () => {
  KNOWN_FIELDS.forEach((name, expected) => {
    assert.equal(id(name), expected, name);
    assert.equal(id(name.toUpperCase()), expected, name);
    const mixed = [...name].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join("");
    assert.equal(id(mixed), expected, mixed);
    assert.equal(knownFieldId(mixed), expected, mixed);
  });
});

test("near misses and unknown names are not identified", () => {
  for (const name of [
    "hosts",
    "hist",
    "content-lengt",
    "content-lengthx",
    "Content-Type",
    "cookies",
    "rang",
    "ranges",
    "te-",
    "",
    "x".repeat(40),
  ]) {
    assert.equal(id(name), -1, name);
  }
  // One byte changed in each position of a known name.
  for (const name of KNOWN_FIELDS) {
    for (let i = 0; i < name.length; i++) {
      const changed = name.slice(0, i) + (name[i] === "q" ? "z" : "q") + name.slice(i + 1);
      assert.equal(id(changed), -1, changed);
    }
  }
});
