// Unit tests for FileSender: which answers are synchronous (the hot path), representation choice,
// and the filters' effect on a cached entry — without sockets.

import assert from "node:assert/strict";
import { test } from "node:test";
import zlib from "node:zlib";
import { compressBytes, ensureCompressed } from "../../src/static/compress.ts";
import { FileEntry } from "../../src/static/file-entry.ts";
import { mimeTypeOf } from "../../src/static/mime.ts";
import { FileSender } from "../../src/static/send-file.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

const TEXT = Buffer.from("abcdefghij".repeat(300));
const fail = (error: unknown): void => assert.fail(String(error));
const sender = new FileSender({
  boundary: "B",
  maxRanges: 64,
  compress: (entry, index) => ensureCompressed(entry, index, () => {}, fail),
  onError: fail,
});

function entry(compressible: boolean): FileEntry {
  return new FileEntry({
    key: "/t.txt",
    path: "/r/t.txt",
    stat: { size: TEXT.length, mtimeMs: Date.UTC(2024, 0, 1), ino: 9 },
    signature: "",
    mime: mimeTypeOf("t.txt"),
    body: TEXT,
    compressible,
    siblings: [null, null, null],
    head: { cacheControl: "no-cache" },
    now: Date.now(),
  });
}

test("a plain GET of a cached file is answered synchronously with the prepared response", () => {
  const e = entry(false);
  const { req, res, sink } = exchangeFor("/t.txt");
  assert.equal(sender.send(req, res, e), true);
  assert.equal(sink.writes.length, 1);
  assert.equal(sink.parsed().status, 200);
  assert.ok(sink.parsed().body.equals(TEXT));
});

test("conditional and range answers on a cached file are synchronous too", () => {
  const e = entry(false);
  for (const [fields, status] of [
    [{ "If-None-Match": e.etag }, 304],
    [{ "If-Match": '"x"' }, 412],
    [{ Range: "bytes=0-1" }, 206],
    [{ Range: "bytes=0-1,5-6" }, 206],
    [{ Range: "bytes=99999-" }, 416],
    [{ "Accept-Encoding": "gzip" }, 200],
  ] as const) {
    const { req, res, sink } = exchangeFor("/t.txt", fields);
    assert.equal(sender.send(req, res, e), true, JSON.stringify(fields));
    assert.equal(sink.parsed().status, status, JSON.stringify(fields));
  }
});

test("the first request for a coding compresses (async); later ones are synchronous", async () => {
  const e = entry(true);
  const first = exchangeFor("/t.txt", { "Accept-Encoding": "gzip" });
  const pending = sender.send(first.req, first.res, e);
  assert.ok(pending instanceof Promise);
  assert.equal(await pending, true);
  assert.equal(first.sink.parsed().headers["content-encoding"], "gzip");
  assert.deepEqual(zlib.gunzipSync(first.sink.parsed().body), TEXT);
  const again = exchangeFor("/t.txt", { "Accept-Encoding": "gzip" });
  assert.equal(sender.send(again.req, again.res, e), true);
  assert.ok(again.sink.parsed().body.equals(first.sink.parsed().body));
});

test("a ready variant is chosen by q-value; a Range selects identity", async () => {
  const e = entry(true);
  e.addCompressed(0, await compressBytes(0, TEXT, true));
  e.addCompressed(2, await compressBytes(2, TEXT, true));
  const br = exchangeFor("/t.txt", { "Accept-Encoding": "gzip;q=0.5, br" });
  sender.send(br.req, br.res, e);
  assert.equal(br.sink.parsed().headers["content-encoding"], "br");
  const ranged = exchangeFor("/t.txt", { "Accept-Encoding": "br", Range: "bytes=0-2" });
  sender.send(ranged.req, ranged.res, e);
  assert.equal(ranged.sink.parsed().status, 206);
  assert.equal(ranged.sink.parsed().headers["content-encoding"], undefined);
  assert.equal(ranged.sink.parsed().body.toString(), "abc");
});

test("HEAD with a Range gets the 206 head GET would get, without body", () => {
  const e = entry(false);
  const { req, res, sink } = exchangeFor("/t.txt", { Range: "bytes=0-1" }, "HEAD");
  sender.send(req, res, e);
  assert.equal(sink.parsed().status, 206);
  assert.equal(sink.parsed().body.length, 0);
  assert.equal(sink.parsed().headers["content-length"], "2");
  assert.equal(sink.parsed().headers["content-range"], `bytes 0-1/${TEXT.length}`);
});
