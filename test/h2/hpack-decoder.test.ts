// HPACK decoding (RFC 7541 §6): the RFC's request examples with the dynamic table's state after each,
// strict errors, the header list limit (an HPACK bomb stops at it while the table stays in step), and
// blocks from an independent encoder (Python's hpack, when the machine has it).

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { DECODE_ERROR, DECODE_OK, DECODE_TOO_LARGE, type FieldSink, HpackDecoder } from "../../src/h2/hpack-decoder.ts";
import { hpackInteger, indexed, indexedLiteral } from "../helpers/h2.ts";

function decodeAll(decoder: HpackDecoder, hex: string, limit = 1 << 20): { result: number; fields: string[] } {
  const block = Buffer.from(hex.replace(/\s/g, ""), "hex");
  const fields: string[] = [];
  const sink: FieldSink = {
    field(line, start, nameEnd, end) {
      fields.push(`${line.toString("latin1", start, nameEnd)}=${line.toString("latin1", nameEnd + 2, end)}`);
    },
  };
  return { result: decoder.decode(block, 0, block.length, sink, limit), fields };
}

test("RFC 7541 C.3: requests without Huffman, with the dynamic table they build", () => {
  const d = new HpackDecoder();
  const first = decodeAll(d, "828684410f7777772e6578616d706c652e636f6d");
  assert.deepEqual(first.fields, [":method=GET", ":scheme=http", ":path=/", ":authority=www.example.com"]);
  assert.equal(d.tableSize, 57);
  const second = decodeAll(d, "828684be58086e6f2d6361636865");
  assert.deepEqual(second.fields, [
    ":method=GET",
    ":scheme=http",
    ":path=/",
    ":authority=www.example.com",
    "cache-control=no-cache",
  ]);
  assert.equal(d.tableSize, 110);
  const third = decodeAll(d, "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565");
  assert.deepEqual(third.fields, [
    ":method=GET",
    ":scheme=https",
    ":path=/index.html",
    ":authority=www.example.com",
    "custom-key=custom-value",
  ]);
  assert.equal(d.tableSize, 164);
  assert.equal(d.tableLength, 3);
});

test("RFC 7541 C.4: the same requests with Huffman", () => {
  const d = new HpackDecoder();
  decodeAll(d, "828684418cf1e3c2e5f23a6ba0ab90f4ff");
  decodeAll(d, "828684be5886a8eb10649cbf");
  const third = decodeAll(d, "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf");
  assert.deepEqual(third.fields.at(-1), "custom-key=custom-value");
  assert.equal(d.tableSize, 164);
});

test("entries are evicted oldest first; a size update resizes and only at a block's start", () => {
  const d = new HpackDecoder(100);
  // Two 50-byte entries (name 8 + value 10 + 32) fit; a third evicts the first.
  decodeAll(
    d,
    Buffer.concat([indexedLiteral("x-aaaaaa", "0123456789"), indexedLiteral("x-bbbbbb", "0123456789")]).toString("hex"),
  );
  assert.equal(d.tableLength, 2);
  const third = decodeAll(d, Buffer.concat([indexedLiteral("x-cccccc", "0123456789"), indexed(63)]).toString("hex"));
  assert.equal(third.fields[1], "x-bbbbbb=0123456789");
  assert.equal(d.tableLength, 2);
  assert.equal(decodeAll(d, hpackInteger(0, 5, 0x20).toString("hex")).result, DECODE_OK);
  assert.equal(d.tableLength, 0);
  assert.equal(
    decodeAll(d, Buffer.concat([indexed(2), hpackInteger(0, 5, 0x20)]).toString("hex")).result,
    DECODE_ERROR,
  );
  assert.equal(decodeAll(d, hpackInteger(101, 5, 0x20).toString("hex")).result, DECODE_ERROR);
});

test("malformed blocks are errors", () => {
  const bad = [
    "80", // index 0
    "be", // index 62, the table is empty
    "ff", // integer cut short
    "ffffffffffff0f", // integer too large
    "0085ffff", // string longer than the block
    "0081ff8161", // Huffman name that is EOS padding only
    "40", // literal without its name
  ];
  for (const hex of bad) assert.equal(decodeAll(new HpackDecoder(), hex).result, DECODE_ERROR, hex);
});

test("a list past the limit stops reaching the sink, but the block is decoded to its end", () => {
  const d = new HpackDecoder();
  const block = Buffer.concat([
    indexedLiteral("x-bomb", "b".repeat(1000)),
    Buffer.alloc(500, indexed(62)[0]!),
    indexedLiteral("x-after", "1"),
  ]);
  const bomb = decodeAll(d, block.toString("hex"), 16 * 1024);
  assert.equal(bomb.result, DECODE_TOO_LARGE);
  assert.ok(bomb.fields.length < 20, `${bomb.fields.length} fields reached the sink`);
  // Both inserts happened: the table is as the encoder expects.
  const next = decodeAll(d, Buffer.concat([indexed(62), indexed(63)]).toString("hex"), 16 * 1024);
  assert.deepEqual(
    next.fields.map((f) => f.slice(0, 8)),
    ["x-after=", "x-bomb=b"],
  );
});

const python = spawnSync("/usr/bin/python3", ["-c", "import hpack"]).status === 0;

test("blocks from an independent encoder (Python hpack) decode to what it encoded", {
  skip: !python && !process.env.CI,
}, () => {
  const script = `
import hpack, json, random
random.seed(7)
enc = hpack.Encoder()
out = []
for i in range(40):
    fields = [(":method", random.choice(["GET", "POST"])), (":path", "/p%d?q=%d" % (i % 5, i)), (":scheme", "https"), (":authority", "example.com")]
    for j in range(random.randint(0, 6)):
        fields.append(("x-h%d" % random.randint(0, 9), "".join(random.choice("abcxyz0129 -_/=;") for _ in range(random.randint(0, 40))).strip()))
    out.append([enc.encode(fields).hex(), ["%s=%s" % f for f in fields]])
print(json.dumps(out))`;
  const run = spawnSync("/usr/bin/python3", ["-c", script], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const d = new HpackDecoder();
  for (const [hex, fields] of JSON.parse(run.stdout) as Array<[string, string[]]>) {
    assert.deepEqual(decodeAll(d, hex).fields, fields);
  }
});
