// The head-end scanner shared by the request and response parsers: any split finds the same end,
// and bare LF, an over-long first line and an over-large head are reported as codes.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  HEAD_INCOMPLETE,
  type HeadScan,
  SCAN_BARE_LF,
  SCAN_FIRST_LINE_TOO_LONG,
  SCAN_TOO_LARGE,
  scanHeadEnd,
} from "../../src/http/scan-head.ts";

const LIMITS = { maxFirstLineBytes: 64, maxHeadBytes: 256, leadingEmptyLines: true };

/** Feeds `text` in pieces of `step` bytes, as a connection does, and returns the final outcome. */
function feed(text: string, step: number, limits = LIMITS): number {
  const all = Buffer.from(text, "latin1");
  const scan: HeadScan = { pos: 0, lineStart: 0, lines: 0 };
  for (let end = Math.min(step, all.length); ; end = Math.min(end + step, all.length)) {
    const at = scanHeadEnd(all.subarray(0, end), 0, end, scan, limits);
    if (at !== HEAD_INCOMPLETE || end === all.length) return at;
  }
}

test("every split of a head finds the same end", () => {
  const head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  for (let step = 1; step <= head.length; step++) assert.equal(feed(`${head}BODY`, step), head.length, `step ${step}`);
});

test("leading empty lines are skipped for requests only", () => {
  const text = "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
  assert.equal(feed(text, 3), text.length);
  // Without the allowance the first empty line is the (empty) first line, and the head ends at the
  // second: the parser then rejects the missing status line.
  assert.equal(feed(text, 3, { ...LIMITS, leadingEmptyLines: false }), 4);
});

test("bare LF, a long first line and a large head are reported as codes", () => {
  assert.equal(feed("GET / HTTP/1.1\nHost: x\r\n\r\n", 5), SCAN_BARE_LF);
  assert.equal(feed(`GET /${"a".repeat(100)} HTTP/1.1\r\n\r\n`, 7), SCAN_FIRST_LINE_TOO_LONG);
  assert.equal(feed(`GET / HTTP/1.1\r\nX: ${"b".repeat(300)}\r\n\r\n`, 400), SCAN_TOO_LARGE);
  assert.equal(feed(`GET / HTTP/1.1\r\nX: ${"b".repeat(300)}`, 11), SCAN_TOO_LARGE);
});
