// Response heads as HPACK blocks: string fields, an upstream's copied lines with their extra lines,
// content-length; trailers; a prepared response's block with its length; 100 (Continue).

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { FieldEdits } from "../../src/http/field-edits.ts";
import { type CopiedFields, type OutgoingHead, PreparedResponse } from "../../src/http/response.ts";
import { STANDARD_DEFAULTS } from "../../src/http/response-defaults.ts";
import { BLOCK } from "../../src/h2/hpack-encoder.ts";
import { CONTINUE_BLOCK, encodeHead, encodePrepared, encodeTrailers } from "../../src/h2/response-block.ts";
import { BlockDecoder } from "../helpers/h2.ts";

test("a head with string fields and copied upstream lines (extra lines included)", () => {
  const raw = Buffer.from("HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Type: text/plain\r\n\r\n", "latin1");
  const a = raw.indexOf("X-A");
  const t = raw.indexOf("Content-Type");
  const copied: CopiedFields = {
    raw,
    lines: [a, a + 6, t, t + 24],
    count: 4,
    extra: Buffer.from("Via: 1.1 portico\r\nX-B: 2\r\n", "latin1"),
  };
  const head: OutgoingHead = {
    status: 200,
    fields: ["Cache-Control", "no-cache"],
    copied,
    length: 5,
    withBody: true,
    edits: null,
  };
  encodeHead(head, STANDARD_DEFAULTS);
  const fields = new BlockDecoder().decode(Buffer.from(BLOCK.bytes()));
  const names = fields.map(([n]) => n);
  assert.equal(names[0], ":status");
  assert.deepEqual(
    fields.filter(([n]) => !["server", "date", ":status"].includes(n)),
    [
      ["cache-control", "no-cache"],
      ["x-a", "1"],
      ["content-type", "text/plain"],
      ["via", "1.1 portico"],
      ["x-b", "2"],
      ["content-length", "5"],
    ],
  );
});

test("trailers are a block of their own, without a status; 100 (Continue) is one field", () => {
  const trailers = encodeTrailers(["X-Sum: abc", "Grpc-Status: 0"]);
  assert.deepEqual(new BlockDecoder().decode(trailers), [
    ["x-sum", "abc"],
    ["grpc-status", "0"],
  ]);
  assert.deepEqual(new BlockDecoder().decode(CONTINUE_BLOCK), [[":status", "100"]]);
});

test("a prepared response's block carries its length, except for bodiless statuses; it is a copy", () => {
  const ok = encodePrepared(
    new PreparedResponse(200, ["Content-Type", "text/html"], Buffer.from("hello")),
    STANDARD_DEFAULTS,
  );
  const fields = new BlockDecoder().decode(ok);
  assert.deepEqual(fields.at(-2), ["content-type", "text/html"]);
  assert.deepEqual(fields.at(-1), ["content-length", "5"]);
  encodeTrailers(["X-Other: 1"]);
  assert.deepEqual(new BlockDecoder().decode(ok), fields, "BLOCK's next use leaves the copy intact");
  const none = new BlockDecoder().decode(
    encodePrepared(new PreparedResponse(304, [], Buffer.alloc(0)), STANDARD_DEFAULTS),
  );
  assert.ok(none.every(([n]) => n !== "content-length"));
});

test("a site's field edits apply on HTTP/2 as on HTTP/1.1: set, add, remove, lower-cased, connection fields dropped", () => {
  const edits = new FieldEdits(
    [
      ["X-Frame-Options", "DENY"],
      ["Server", "edge"],
    ],
    [["Link", "</a.css>; rel=preload"]],
    ["x-powered-by"],
  );
  const plain: OutgoingHead = {
    status: 200,
    fields: ["X-Powered-By", "php", "Content-Type", "text/plain", "X-Frame-Options", "SAMEORIGIN"],
    copied: null,
    length: 2,
    withBody: true,
    edits,
  };
  encodeHead(plain, STANDARD_DEFAULTS);
  const fields = new BlockDecoder().decode(Buffer.from(BLOCK.bytes())).filter(([n]) => n !== "date");
  assert.deepEqual(fields, [
    [":status", "200"],
    ["content-type", "text/plain"],
    ["x-frame-options", "DENY"],
    ["server", "edge"],
    ["link", "</a.css>; rel=preload"],
    ["content-length", "2"],
  ]);

  // An upstream's copied lines: the removed and replaced names leave them, the edits follow.
  const raw = Buffer.from("HTTP/1.1 200 OK\r\nX-Powered-By: php\r\nX-A: 1\r\n\r\n", "latin1");
  const start = raw.indexOf("X-Powered-By");
  const end = raw.indexOf("\r\n\r\n");
  encodeHead(
    {
      status: 200,
      fields: [],
      copied: { raw, lines: [start, end], count: 2, extra: Buffer.alloc(0) },
      length: -1,
      withBody: true,
      edits,
    },
    STANDARD_DEFAULTS,
  );
  const proxied = new BlockDecoder().decode(Buffer.from(BLOCK.bytes())).filter(([n]) => n !== "date");
  assert.deepEqual(proxied, [
    [":status", "200"],
    ["x-a", "1"],
    ["x-frame-options", "DENY"],
    ["server", "edge"],
    ["link", "</a.css>; rel=preload"],
  ]);

  // A prepared response (a cached file) gets the same edits; connection-specific fields never reach h2.
  const withConnection = new FieldEdits([["Keep-Alive", "timeout=5"]], [["X-B", "2"]], []);
  const prepared = encodePrepared(
    new PreparedResponse(200, ["Content-Type", "text/html"], Buffer.from("hello")),
    STANDARD_DEFAULTS,
    withConnection,
  );
  const names = new BlockDecoder().decode(prepared).map(([n]) => n);
  assert.deepEqual(names, [":status", "server", "date", "content-type", "x-b", "content-length"]);
});

test("a site's field edits apply over HTTP/2 as over HTTP/1.1: to string fields, copied lines, defaults and prepared responses", () => {
  const edits = new FieldEdits(
    [
      ["Access-Control-Allow-Origin", "*"],
      ["Server", "edge"],
    ],
    [["X-Added", "1"]],
    ["x-drop"],
  );
  const others = (block: Buffer): string[][] =>
    new BlockDecoder().decode(block).filter(([n]) => n !== ":status" && n !== "date") as string[][];
  encodeHead(
    { status: 200, fields: ["X-Drop", "gone", "X-Keep", "k"], copied: null, length: 0, withBody: true, edits },
    STANDARD_DEFAULTS,
  );
  assert.deepEqual(others(Buffer.from(BLOCK.bytes())), [
    ["x-keep", "k"],
    ["access-control-allow-origin", "*"],
    ["server", "edge"],
    ["x-added", "1"],
    ["content-length", "0"],
  ]);
  const raw = Buffer.from("HTTP/1.1 200 OK\r\nX-Drop: up\r\nX-Up: u\r\n\r\n", "latin1");
  const d = raw.indexOf("X-Drop");
  const u = raw.indexOf("X-Up");
  encodeHead(
    {
      status: 200,
      fields: [],
      copied: { raw, lines: [d, d + 10, u, u + 7], count: 4, extra: Buffer.alloc(0) },
      length: -1,
      withBody: true,
      edits,
    },
    STANDARD_DEFAULTS,
  );
  assert.deepEqual(others(Buffer.from(BLOCK.bytes())), [
    ["x-up", "u"],
    ["access-control-allow-origin", "*"],
    ["server", "edge"],
    ["x-added", "1"],
  ]);
  const prepared = encodePrepared(
    new PreparedResponse(200, ["X-Drop", "x", "Content-Type", "text/plain"], Buffer.from("hi")),
    STANDARD_DEFAULTS,
    edits,
  );
  assert.deepEqual(others(prepared), [
    ["content-type", "text/plain"],
    ["access-control-allow-origin", "*"],
    ["server", "edge"],
    ["x-added", "1"],
    ["content-length", "2"],
  ]);
});
