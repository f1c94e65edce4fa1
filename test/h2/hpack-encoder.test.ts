// HPACK encoding of response blocks: status by static index or literal, lower-cased names from the
// static table or literal, connection-specific fields dropped, integers across prefixes, Huffman only
// where shorter; blocks decode with our decoder and with Python's hpack.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { BlockWriter, writeInteger, writeString } from "../../src/h2/hpack-encoder.ts";
import { BlockDecoder } from "../helpers/h2.ts";

function block(write: (w: BlockWriter) => void): Buffer {
  const w = new BlockWriter();
  write(w);
  return Buffer.from(w.bytes());
}

test("integers use their prefix and continue in 7-bit groups (RFC 7541 C.1)", () => {
  const out = Buffer.alloc(8);
  assert.deepEqual([...out.subarray(0, writeInteger(out, 0, 0, 5, 10))], [10]);
  assert.deepEqual([...out.subarray(0, writeInteger(out, 0, 0, 5, 1337))], [31, 154, 10]);
  assert.deepEqual([...out.subarray(0, writeInteger(out, 0, 0, 8, 42))], [42]);
});

test("strings are Huffman-coded only when that is shorter", () => {
  const out = Buffer.alloc(64);
  const text = Buffer.from("no-cache");
  assert.equal(out.subarray(0, writeString(out, 0, text, 0, text.length, true)).toString("hex"), "86a8eb10649cbf");
  const binary = Buffer.from([0xff, 0xfe]);
  assert.equal(out.subarray(0, writeString(out, 0, binary, 0, 2, true)).toString("hex"), "02fffe");
});

test("a response block: status, defaults, date, fields lower-cased, content-length", () => {
  const bytes = block((w) => {
    w.begin(200, ["Server", "portico"]);
    w.field("Content-Type", "text/html");
    w.field("X-Custom", "Value");
    w.field("Connection", "close");
    w.field("Transfer-Encoding", "chunked");
    const line = Buffer.from('ETag:  "abc" ');
    w.line(line, 0, line.length);
    w.contentLength(1234);
  });
  assert.equal(bytes[0], 0x88, ":status 200 is static index 8");
  const fields = new BlockDecoder().decode(bytes);
  assert.deepEqual(
    fields.map(([n]) => n),
    [":status", "server", "date", "content-type", "x-custom", "etag", "content-length"],
  );
  assert.deepEqual(fields.at(3), ["content-type", "text/html"]);
  assert.deepEqual(fields.at(5), ["etag", '"abc"']);
  assert.deepEqual(fields.at(6), ["content-length", "1234"]);
});

test("statuses without a static entry are literals; trailers have no status", () => {
  const fields = new BlockDecoder().decode(block((w) => w.begin(418, [])));
  assert.deepEqual(fields[0], [":status", "418"]);
  const trailers = new BlockDecoder().decode(
    block((w) => {
      w.beginTrailers();
      w.field("X-Sum", "1");
    }),
  );
  assert.deepEqual(trailers, [["x-sum", "1"]]);
});

const python = spawnSync("/usr/bin/python3", ["-c", "import hpack"]).status === 0;

test("an independent decoder (Python hpack) reads our blocks", { skip: !python && !process.env.CI }, () => {
  const bytes = block((w) => {
    w.begin(206, ["Server", "portico"]);
    w.field("Content-Range", "bytes 0-9/100", true);
    w.field("Set-Cookie", "a=1; Path=/");
    w.contentLength(10);
  });
  const run = spawnSync(
    "/usr/bin/python3",
    ["-c", `import hpack, json; print(json.dumps(hpack.Decoder().decode(bytes.fromhex("${bytes.toString("hex")}"))))`],
    { encoding: "utf8" },
  );
  assert.equal(run.status, 0, run.stderr);
  const fields = JSON.parse(run.stdout) as Array<[string, string]>;
  assert.deepEqual(
    fields.map(([n]) => n),
    [":status", "server", "date", "content-range", "set-cookie", "content-length"],
  );
  assert.deepEqual(fields[3], ["content-range", "bytes 0-9/100"]);
});

test("upstream lines: names in any case encode as their lower-cased selves, even when their slots collide", () => {
  // More distinct names than the byte-name table has slots, so some share a slot and replace each other.
  const names = Array.from({ length: 600 }, (_, i) => `X-Up-${i}`);
  const lines = [...names, "x-up-7", "X-UP-7", "Connection", "Content-Type"].map((n) => Buffer.from(`${n}: v`));
  const fields = new BlockDecoder().decode(
    block((w) => {
      w.beginTrailers();
      for (const line of lines) w.line(line, 0, line.length);
    }),
  );
  assert.deepEqual(
    fields.map(([n]) => n),
    [...names.map((n) => n.toLowerCase()), "x-up-7", "x-up-7", "content-type"],
    "the connection-specific Connection is dropped",
  );
  assert.ok(fields.every(([, v]) => v === "v"));
});
