// Unit tests for Content-Type lookup from mime-db.

import assert from "node:assert/strict";
import { test } from "node:test";
import { mimeTableJson, mimeTypeOf, tableFromJson } from "../../src/static/mime.ts";

test("common types, with charset=utf-8 for text", () => {
  assert.equal(mimeTypeOf("a.html").contentType, "text/html; charset=utf-8");
  assert.equal(mimeTypeOf("a.css").contentType, "text/css; charset=utf-8");
  assert.equal(mimeTypeOf("a.js").contentType, "text/javascript; charset=utf-8");
  assert.equal(mimeTypeOf("a.json").contentType, "application/json; charset=utf-8");
  assert.equal(mimeTypeOf("a.txt").contentType, "text/plain; charset=utf-8");
  assert.equal(mimeTypeOf("a.png").contentType, "image/png");
  assert.equal(mimeTypeOf("a.svg").contentType, "image/svg+xml");
  assert.equal(mimeTypeOf("a.mp4").contentType, "video/mp4");
  assert.equal(mimeTypeOf("a.wasm").contentType, "application/wasm");
});

test("extensions are case-insensitive; unknown or missing → application/octet-stream", () => {
  assert.equal(mimeTypeOf("A.HTML").contentType, "text/html; charset=utf-8");
  assert.equal(mimeTypeOf("file.unknownext").contentType, "application/octet-stream");
  assert.equal(mimeTypeOf("Makefile").contentType, "application/octet-stream");
  assert.equal(mimeTypeOf("dir.d/file").contentType, "application/octet-stream");
});

test("text and JSON are compressible, images are not", () => {
  assert.equal(mimeTypeOf("a.html").compressible, true);
  assert.equal(mimeTypeOf("a.json").compressible, true);
  assert.equal(mimeTypeOf("a.png").compressible, false);
});

test("application/octet-stream is never compressible", () => {
  assert.equal(mimeTypeOf("a.bin").contentType, "application/octet-stream");
  assert.equal(mimeTypeOf("a.bin").compressible, false);
});

test("the table the package build puts in gives every extension the type the sources compute", () => {
  const table = tableFromJson(mimeTableJson());
  assert.ok(table.size > 1000);
  for (const [ext, mime] of table) assert.deepEqual(mime, mimeTypeOf(`a.${ext}`), ext);
  assert.deepEqual(table.get("html"), { contentType: "text/html; charset=utf-8", compressible: true });
  assert.equal(table.get("__proto__"), undefined);
});
