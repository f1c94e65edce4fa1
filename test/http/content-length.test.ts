// Content-Length values shared by the request and response parsers (RFC 9110 §8.6).

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CONTENT_LENGTH_CONFLICT,
  CONTENT_LENGTH_INVALID,
  CONTENT_LENGTH_NONE,
  CONTENT_LENGTH_TOO_LARGE,
  contentLengthOf,
} from "../../src/http/content-length.ts";
import { F_CONTENT_LENGTH, F_HOST } from "../../src/http/headers.ts";

/** Builds a buffer of values and the parser-style field offsets for them. */
function fieldsFor(values: Array<[number, string]>): { buf: Buffer; fields: number[] } {
  let text = "";
  const fields: number[] = [];
  for (const [id, value] of values) {
    const start = text.length;
    text += value;
    fields.push(0, 0, start, text.length, id);
  }
  return { buf: Buffer.from(text, "latin1"), fields };
}

test("a single value, a list of equal values and repeated equal fields give the length", () => {
  for (const values of [["42"], ["42, 42"], ["42", "42"], ["0042"]]) {
    const { buf, fields } = fieldsFor(values.map((v) => [F_CONTENT_LENGTH, v]));
    assert.equal(contentLengthOf(buf, fields), 42, JSON.stringify(values));
  }
});

test("no Content-Length field gives NONE; other fields are ignored", () => {
  const { buf, fields } = fieldsFor([[F_HOST, "example.com"]]);
  assert.equal(contentLengthOf(buf, fields), CONTENT_LENGTH_NONE);
});

test("non-digits, signs and empty members are invalid; different values conflict", () => {
  for (const v of ["", "-1", "+1", "1.0", "0x10", "1 2", "1,", "abc"]) {
    const { buf, fields } = fieldsFor([[F_CONTENT_LENGTH, v]]);
    assert.equal(contentLengthOf(buf, fields), CONTENT_LENGTH_INVALID, JSON.stringify(v));
  }
  const { buf, fields } = fieldsFor([
    [F_CONTENT_LENGTH, "1"],
    [F_CONTENT_LENGTH, "2"],
  ]);
  assert.equal(contentLengthOf(buf, fields), CONTENT_LENGTH_CONFLICT);
});

test("leading zeros do not count toward the size bound; 10^15 and above is too large", () => {
  const zeros = fieldsFor([[F_CONTENT_LENGTH, `${"0".repeat(40)}7`]]);
  assert.equal(contentLengthOf(zeros.buf, zeros.fields), 7);
  const huge = fieldsFor([[F_CONTENT_LENGTH, "1000000000000000"]]);
  assert.equal(contentLengthOf(huge.buf, huge.fields), CONTENT_LENGTH_TOO_LARGE);
});
