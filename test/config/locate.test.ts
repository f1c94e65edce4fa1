// Unit tests for finding the line of a key in a configuration file's text (the parser gives none):
// tables, arrays of tables, dotted and quoted keys, inline tables, comments; and JSON objects.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { KeyLines, locateJson, locateToml } from "../../src/config/locate.ts";

describe("TOML", () => {
  const text = [
    "threads = 2 # a comment with = and [brackets]", // 1
    "", // 2
    "[log]", // 3
    'format = "json"', // 4
    "", // 5
    "[[site]]", // 6
    'hosts = ["a.test"]', // 7
    'headers = { "X-A" = "1", "X-B" = "#not a comment" }', // 8
    "  [[site.route]]", // 9
    '  path = "/api/"', // 10
    '  proxy = { upstreams = ["http://x:1"], lb = "hash", tls = { verify = false } }', // 11
    "  [[site.route]]", // 12
    '  path = "/"', // 13
    "[[site]]", // 14
    'root = "b"', // 15
    "  [[site.route]]", // 16
    '  redirect.to = "/new/"', // 17
    '  "quoted.key" = 1', // 18
  ].join("\n");
  const lines = locateToml(text);

  test("top-level keys and [tables]", () => {
    assert.equal(lines.lineOf(["threads"]), 1);
    assert.equal(lines.lineOf(["log"]), 3);
    assert.equal(lines.lineOf(["log", "format"]), 4);
  });

  test("arrays of tables are counted: the second [[site]]'s first route", () => {
    assert.equal(lines.lineOf(["site", 0]), 6);
    assert.equal(lines.lineOf(["site", 0, "route", 1, "path"]), 13);
    assert.equal(lines.lineOf(["site", 1, "root"]), 15);
    assert.equal(lines.lineOf(["site", 1, "route", 0]), 16);
  });

  test("keys of inline tables, nested ones too, and dotted and quoted keys", () => {
    assert.equal(lines.lineOf(["site", 0, "headers", "X-B"]), 8);
    assert.equal(lines.lineOf(["site", 0, "route", 0, "proxy", "lb"]), 11);
    assert.equal(lines.lineOf(["site", 0, "route", 0, "proxy", "tls", "verify"]), 11);
    assert.equal(lines.lineOf(["site", 1, "route", 0, "redirect", "to"]), 17);
    assert.equal(lines.lineOf(["site", 1, "route", 0, "quoted.key"]), 18);
  });

  test("an unknown path falls back to its nearest known ancestor, else 0", () => {
    assert.equal(lines.lineOf(["site", 0, "route", 0, "proxy", "nothing"]), 11);
    assert.equal(lines.lineOf(["nowhere"]), 0);
  });
});

test("JSON: object keys and array elements by line", () => {
  const text = JSON.stringify({ threads: 2, site: [{ root: "a", listen: ["8080"] }, { root: "b" }] }, null, 2);
  const lines = locateJson(text);
  const lineOf = (needle: string): number => text.split("\n").findIndex((l) => l.includes(needle)) + 1;
  assert.equal(lines.lineOf(["threads"]), lineOf('"threads"'));
  assert.equal(lines.lineOf(["site", 0, "listen"]), lineOf('"listen"'));
  assert.equal(lines.lineOf(["site", 1, "root"]), lineOf('"b"'));
});

test("KeyLines keeps the first line recorded for a path", () => {
  const lines = new KeyLines();
  lines.record(["a"], 3);
  lines.record(["a"], 9);
  assert.equal(lines.lineOf(["a", "b"]), 3);
});
