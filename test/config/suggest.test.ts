// Unit tests for "did you mean": the closest known key within a plausible typo's distance.

import assert from "node:assert/strict";
import { test } from "node:test";
import { closest, editDistance } from "../../src/config/suggest.ts";

test("edit distance counts an adjacent transposition as one edit", () => {
  assert.equal(editDistance("proxy", "proxy"), 0);
  assert.equal(editDistance("prxy", "proxy"), 1);
  assert.equal(editDistance("prxoy", "proxy"), 1);
  assert.equal(editDistance("max_bdy", "max_body"), 1);
  assert.equal(editDistance("", "abc"), 3);
});

test("a plausible typo gets the closest key; a different word gets none", () => {
  const keys = ["proxy", "files", "redirect", "respond", "path", "max_body"];
  assert.equal(closest("prxy", keys), "proxy");
  assert.equal(closest("Redirekt", keys), "redirect", "case does not count");
  assert.equal(closest("max_bdy", keys), "max_body");
  assert.equal(closest("banana", keys), null);
  assert.equal(closest("pa", keys), null, "two edits in a two-letter word is no typo");
});
