// Unit tests for option values from their human form: sizes, durations, integers with bounds,
// booleans, lists and choices, the same for flags and file keys.

import assert from "node:assert/strict";
import { test } from "node:test";
import { optionByKey } from "../../src/config/options.ts";
import { convertValue, describe as describeValue, show } from "../../src/config/units.ts";

function convert(key: string, raw: unknown): unknown {
  const result = convertValue(optionByKey(key)!, raw);
  return result.ok ? result.value : `problem: ${result.problem}`;
}

test("sizes take b, k, kb, kib, m, g (any case) and plain numbers of bytes", () => {
  assert.equal(convert("maxBodyBytes", "512"), 512);
  assert.equal(convert("maxBodyBytes", "64k"), 65536);
  assert.equal(convert("maxBodyBytes", "16MiB"), 16 << 20);
  assert.equal(convert("maxBodyBytes", "1.5 KB"), 1536);
  assert.equal(convert("maxBodyBytes", "2g"), 2 * 2 ** 30);
  assert.equal(convert("maxBodyBytes", 4096), 4096, "a number in a file is bytes");
});

test("durations take ms, s, m, h; a plain number is milliseconds", () => {
  assert.equal(convert("headersTimeoutMs", "500ms"), 500);
  assert.equal(convert("headersTimeoutMs", "10s"), 10_000);
  assert.equal(convert("headersTimeoutMs", "2m"), 120_000);
  assert.equal(convert("headersTimeoutMs", "1h"), 3_600_000);
  assert.equal(convert("headersTimeoutMs", "250"), 250);
  assert.equal(convert("headersTimeoutMs", "1.5s"), 1500);
});

test("bounds are checked after conversion and named in the option's unit", () => {
  assert.equal(convert("headersTimeoutMs", "0"), 'problem: must be at least 1ms, got "0"');
  assert.equal(convert("maxRequestLineBytes", "10"), 'problem: must be at least 64 bytes, got "10"');
  assert.equal(convert("threads", 300), "problem: must be at most 256, got 300");
});

test("integers take no unit and no fraction", () => {
  assert.equal(convert("threads", "4"), 4);
  assert.match(String(convert("threads", "4k")), /^problem: must be an integer/);
  assert.match(String(convert("threads", 2.5)), /^problem: must be an integer, got 2.5/);
  assert.match(String(convert("maxHeaderCount", "1.5")), /^problem: must be an integer/);
});

test("an unknown unit is named", () => {
  assert.equal(
    convert("maxBodyBytes", "5 parsecs"),
    'problem: unknown unit "parsecs" in "5 parsecs" (expected a size such as 512, 64k or 16MiB)',
  );
});

test("booleans, lists and choices from text or from a file's values", () => {
  assert.equal(convert("spa", "true"), true);
  assert.equal(convert("spa", false), false);
  assert.match(String(convert("spa", "yes")), /^problem: expected true or false/);
  assert.deepEqual(convert("index", "a.html, b.html,"), ["a.html", "b.html"]);
  assert.deepEqual(convert("index", ["x.html"]), ["x.html"]);
  assert.equal(convert("lb", "p2c"), "p2c");
  assert.match(String(convert("lb", "random")), /^problem: expected one of least-conn, round-robin/);
  assert.deepEqual(convert("proxy", "http://a:1"), ["http://a:1"], "a repeatable option from one string");
});

test("describe and show phrase values for messages", () => {
  assert.equal(describeValue(optionByKey("maxBodyBytes")!), "a size such as 512, 64k or 16MiB");
  assert.match(describeValue(optionByKey("bodyTimeoutMs")!), /^a duration such as 500ms/);
  assert.equal(show("five"), '"five"');
  assert.equal(show(5), "5");
  assert.equal(show(undefined), "undefined");
});
