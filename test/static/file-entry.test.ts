// Unit tests for file entries: validators, prepared heads for 200 and 304, variants and Vary.

import assert from "node:assert/strict";
import { test } from "node:test";
import { serializeFields } from "../../src/http/h1-writer.ts";
import { FileEntry, signatureOf } from "../../src/static/file-entry.ts";
import { mimeTypeOf } from "../../src/static/mime.ts";

const STAT = { size: 11, mtimeMs: Date.UTC(2024, 0, 1, 12, 0, 0, 500), ino: 42 };
const HEAD = { cacheControl: "no-cache" };

function entry(compressible: boolean, siblings: Parameters<typeof signatureOf>[1] = [null, null, null]) {
  const sibs = siblings.map((s) => (s === null ? null : { ...s, path: "/x.gz", body: Buffer.from("zz") }));
  return new FileEntry({
    key: "/x.txt",
    path: "/root/x.txt",
    stat: STAT,
    signature: signatureOf(STAT, siblings),
    mime: mimeTypeOf("x.txt"),
    body: Buffer.from("hello world"),
    compressible,
    siblings: sibs,
    head: HEAD,
    now: Date.now(),
  });
}

test("ETag is strong and built from inode, size and mtime; Last-Modified drops sub-second precision", () => {
  const e = entry(false);
  assert.match(e.etag, /^"[0-9a-z]+-[0-9a-z]+-[0-9a-z]+"$/);
  assert.equal(e.lastModified, "Mon, 01 Jan 2024 12:00:00 GMT");
  assert.equal(e.lastModifiedMs, Date.UTC(2024, 0, 1, 12));
  const other = new FileEntry({
    key: "/x.txt",
    path: "/root/x.txt",
    stat: { ...STAT, mtimeMs: STAT.mtimeMs + 1 },
    signature: "",
    mime: mimeTypeOf("x.txt"),
    body: null,
    compressible: false,
    siblings: [null, null, null],
    head: HEAD,
    now: Date.now(),
  });
  assert.notEqual(other.etag, e.etag);
});

test("the 200 and 304 heads carry the same validators, Cache-Control and Vary", () => {
  const e = entry(true);
  const ok = serializeFields(e.identity.ok!.fields);
  const nm = serializeFields(e.identity.notModified!.fields);
  for (const line of [
    `ETag: ${e.etag}`,
    `Last-Modified: ${e.lastModified}`,
    "Cache-Control: no-cache",
    "Vary: Accept-Encoding",
  ]) {
    assert.ok(ok.includes(line), `200 has ${line}`);
    assert.ok(nm.includes(line), `304 has ${line}`);
  }
  assert.equal(e.identity.ok!.body.length, 11);
  assert.equal(e.identity.notModified!.body.length, 0);
  assert.ok(ok.includes("X-Content-Type-Options: nosniff"));
  assert.ok(ok.includes("Accept-Ranges: bytes"));
});

test("no Vary when nothing can be negotiated", () => {
  assert.ok(!serializeFields(entry(false).identity.ok!.fields).includes("Vary"));
  assert.equal(
    entry(false).encoded.every((v) => v === null),
    true,
  );
});

test("a precompressed sibling becomes a ready variant with its own ETag and makes the entry negotiable", () => {
  const e = entry(false, [null, null, { size: 2, mtimeMs: 1, ino: 7 }]);
  assert.equal(e.negotiable, true);
  const gz = e.encoded[2]!;
  assert.equal(gz.encoding, "gzip");
  assert.notEqual(gz.etag, e.etag);
  assert.ok(serializeFields(gz.ok!.fields).includes("Content-Encoding: gzip"));
  assert.ok(serializeFields(e.identity.ok!.fields).includes("Vary: Accept-Encoding"));
});

test("compressed variants are kept only when smaller", () => {
  const e = entry(true);
  assert.equal(e.encoded[0], undefined);
  assert.equal(e.addCompressed(0, Buffer.alloc(20)), 0);
  assert.equal(e.encoded[0], null);
  assert.ok(e.addCompressed(2, Buffer.alloc(5)) > 0);
  assert.equal(e.encoded[2]!.etag, `${e.etag.slice(0, -1)}-gzip"`);
});

test("the signature changes with any sibling", () => {
  assert.notEqual(
    signatureOf(STAT, [null, null, null]),
    signatureOf(STAT, [null, null, { size: 1, mtimeMs: 1, ino: 1 }]),
  );
});

test("stopCompressing leaves ready variants and marks the rest as absent", () => {
  const e = entry(true);
  e.addCompressed(2, Buffer.alloc(3));
  e.stopCompressing();
  assert.equal(e.encoded[0], null);
  assert.equal(e.encoded[1], null);
  assert.ok(e.encoded[2]);
});

test("a modification time in the future is sent as the current time (RFC 9110 §8.8.2.1)", () => {
  const now = Date.UTC(2030, 5, 1, 10, 0, 0, 300);
  const future = new FileEntry({
    key: "/f",
    path: "/r/f",
    stat: { ...STAT, mtimeMs: Date.UTC(2100, 0, 1) },
    signature: "",
    mime: mimeTypeOf("f.txt"),
    body: null,
    compressible: false,
    siblings: [null, null, null],
    head: HEAD,
    now,
  });
  assert.equal(future.lastModified, "Sat, 01 Jun 2030 10:00:00 GMT");
});
