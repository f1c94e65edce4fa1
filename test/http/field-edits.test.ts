// Unit tests for response field edits: which fields are dropped (removed or replaced), the lines
// added, the defaults a site may edit (Server), copied upstream lines filtered one by one.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { FieldEdits } from "../../src/http/field-edits.ts";
import { ResponseDefaults } from "../../src/http/response-defaults.ts";

const edits = new FieldEdits([["X-Frame-Options", "DENY"]], [["Vary", "Origin"]], ["x-powered-by"]);

test("set replaces and remove drops a field, whatever its case; added fields keep the handler's", () => {
  assert.deepEqual(edits.filter(["x-frame-options", "SAMEORIGIN", "X-Powered-By", "php", "Vary", "Accept"]), [
    "Vary",
    "Accept",
  ]);
  assert.equal(edits.drops("x-frame-options"), true);
  assert.equal(edits.drops("vary"), false);
  assert.deepEqual(edits.fields, ["X-Frame-Options", "DENY", "Vary", "Origin"]);
  assert.equal(edits.h1Lines, "X-Frame-Options: DENY\r\nVary: Origin\r\n");
  assert.equal(edits.h1Bytes.toString("latin1"), edits.h1Lines);
});

test("a list with nothing to drop is returned as it is (no copy)", () => {
  const fields = ["Content-Type", "text/plain"];
  assert.equal(edits.filter(fields), fields);
  const none = new FieldEdits([], [["X-A", "1"]], []);
  const other = ["X-Frame-Options", "x"];
  assert.equal(none.filter(other), other);
});

test("extend sets more fields on top: a later set of a name replaces the earlier one", () => {
  const more = edits.extend(
    [
      ["X-Frame-Options", "SAMEORIGIN"],
      ["Access-Control-Allow-Origin", "*"],
    ],
    [["X-B", "2"]],
  );
  assert.deepEqual(more.fields, [
    "X-Frame-Options",
    "SAMEORIGIN",
    "Access-Control-Allow-Origin",
    "*",
    "Vary",
    "Origin",
    "X-B",
    "2",
  ]);
  assert.equal(more.drops("x-powered-by"), true, "removals carry over");
});

test("the defaults' lines lose the fields the edits drop", () => {
  const defaults = new ResponseDefaults(["Server", "portico", "Alt-Svc", 'h2=":443"']);
  assert.equal(edits.defaultLines(defaults), defaults.h1Lines);
  const noServer = new FieldEdits([], [], ["server"]);
  assert.equal(noServer.defaultLines(defaults), 'Alt-Svc: h2=":443"\r\n');
  assert.equal(new FieldEdits([["Server", "shop"]], [], []).defaultLines(defaults), 'Alt-Svc: h2=":443"\r\n');
});

test("copied upstream lines are filtered one line at a time inside a run; the edits' lines join the extra ones", () => {
  const raw = Buffer.from(
    'X-Powered-By: php\r\nContent-Type: text/html\r\nX-Frame-Options: ALLOW\r\nETag: "e"',
    "latin1",
  );
  const copied = { raw, lines: [0, raw.length], count: 2, extra: Buffer.from("Via: 1.1 portico\r\n", "latin1") };
  const out = edits.filterCopied(copied);
  const kept = [];
  for (let k = 0; k < out.count; k += 2) kept.push(raw.toString("latin1", out.lines[k]!, out.lines[k + 1]!));
  assert.deepEqual(kept, ["Content-Type: text/html", 'ETag: "e"']);
  assert.equal(out.extra.toString("latin1"), "Via: 1.1 portico\r\nX-Frame-Options: DENY\r\nVary: Origin\r\n");
  const keepAll = new FieldEdits([], [["X-A", "1"]], []).filterCopied(copied);
  assert.equal(keepAll.lines, copied.lines, "nothing to drop: the runs are kept as they are");
});
