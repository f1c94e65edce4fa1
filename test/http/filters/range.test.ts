// Unit tests for the range filter: Range parsing (RFC 9110 §14.1.2), coalescing and multipart layout.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  coalesceRanges,
  contentRange,
  multipartLayout,
  parseRange,
  RANGE_IGNORED,
  RANGE_UNSATISFIABLE,
  unsatisfiedRange,
} from "../../../src/http/filters/range.ts";

function ranges(value: string, size = 100): Array<[number, number]> | string {
  const r = parseRange(value, size, 8);
  if (r.kind === RANGE_IGNORED) return "ignored";
  if (r.kind === RANGE_UNSATISFIABLE) return "unsatisfiable";
  return r.ranges.map((x) => [x.start, x.end]);
}

test("single, open-ended, suffix and clamped ranges", () => {
  assert.deepEqual(ranges("bytes=0-9"), [[0, 9]]);
  assert.deepEqual(ranges("bytes=90-"), [[90, 99]]);
  assert.deepEqual(ranges("bytes=-10"), [[90, 99]]);
  assert.deepEqual(ranges("bytes=-1000"), [[0, 99]], "suffix longer than the file: all of it");
  assert.deepEqual(ranges("bytes=50-1000"), [[50, 99]], "last-pos clamped");
  assert.deepEqual(ranges("BYTES = 0-0".replace(" = ", "=")), [[0, 0]], "unit is case-insensitive");
  assert.deepEqual(ranges("bytes= 0-1 , 5-6"), [
    [0, 1],
    [5, 6],
  ]);
});

test("unsatisfiable: every range starts past the end, zero suffix, empty file", () => {
  assert.equal(ranges("bytes=100-"), "unsatisfiable");
  assert.equal(ranges("bytes=200-300"), "unsatisfiable");
  assert.equal(ranges("bytes=-0"), "unsatisfiable");
  assert.equal(ranges("bytes=5-2"), "unsatisfiable", "last < first is invalid, answered 416 like nginx");
  assert.deepEqual(ranges("bytes=200-300, 0-0"), [[0, 0]], "one satisfiable range is enough");
});

test("an empty representation is served whole, whatever the range", () => {
  assert.equal(ranges("bytes=0-", 0), "ignored");
  assert.equal(ranges("bytes=-5", 0), "ignored");
  assert.equal(ranges("bytes=0-0", 0), "ignored");
});

test("other units, bad syntax and too many ranges are ignored", () => {
  assert.equal(ranges("items=0-1"), "ignored");
  assert.equal(ranges("bytes"), "ignored");
  assert.equal(ranges("bytes="), "ignored");
  assert.equal(ranges("bytes=abc"), "ignored");
  assert.equal(ranges("bytes=1-x"), "ignored");
  assert.equal(ranges("bytes=--1"), "ignored");
  assert.equal(ranges("bytes=0-1,junk"), "ignored");
  assert.equal(ranges("bytes=+1-2"), "ignored");
  assert.equal(ranges("bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8"), "ignored", "more than the bound");
});

test("overlapping and adjacent ranges are coalesced in ascending order", () => {
  assert.deepEqual(ranges("bytes=0-5,3-8"), [[0, 8]]);
  assert.deepEqual(ranges("bytes=0-4,5-9"), [[0, 9]]);
  assert.deepEqual(ranges("bytes=50-60,0-1"), [
    [0, 1],
    [50, 60],
  ]);
  assert.deepEqual(ranges("bytes=0-0,0-0,0-0"), [[0, 0]]);
  assert.deepEqual(ranges("bytes=-10,95-"), [[90, 99]]);
});

test("coalesced ranges never overlap and cover exactly the requested bytes", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(200), fc.nat(50)), { minLength: 1, maxLength: 10 }), (pairs) => {
      const input = pairs.map(([s, len]) => ({ start: s, end: s + len }));
      const out = coalesceRanges(input);
      for (let i = 1; i < out.length; i++) assert.ok(out[i]!.start > out[i - 1]!.end + 1);
      const covered = (list: typeof input): Set<number> => {
        const set = new Set<number>();
        for (const r of list) for (let b = r.start; b <= r.end; b++) set.add(b);
        return set;
      };
      assert.deepEqual(covered(out), covered(input));
    }),
  );
});

test("Content-Range values", () => {
  assert.equal(contentRange({ start: 0, end: 9 }, 100), "bytes 0-9/100");
  assert.equal(unsatisfiedRange(100), "bytes */100");
});

test("multipart layout length equals the bytes it describes", () => {
  const layout = multipartLayout(
    [
      { start: 0, end: 1 },
      { start: 10, end: 14 },
    ],
    20,
    "text/plain",
    "XYZ",
  );
  assert.equal(layout.contentType, "multipart/byteranges; boundary=XYZ");
  let body = "";
  for (const p of layout.parts) body += p.head + "#".repeat(p.end - p.start + 1);
  body += layout.tail;
  assert.equal(layout.length, Buffer.byteLength(body));
  assert.match(
    layout.parts[1]!.head,
    /^\r\n--XYZ\r\nContent-Type: text\/plain\r\nContent-Range: bytes 10-14\/20\r\n\r\n$/,
  );
  assert.equal(layout.tail, "\r\n--XYZ--\r\n");
});
