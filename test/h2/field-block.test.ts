// Field blocks from HEADERS and CONTINUATION frames: padding and priority stripped, a block in one
// frame read in place, one split over frames joined, and the bounds that end CONTINUATION floods.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { H2Error } from "../../src/h2/errors.ts";
import { BLOCK_EMPTY, BLOCK_PENDING, BLOCK_READY, FieldBlocks } from "../../src/h2/field-block.ts";

const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

test("a whole block in one HEADERS frame is read in place, padding and priority stripped", () => {
  const blocks = new FieldBlocks(4, 1000);
  const frame = Buffer.from([2, 0, 0, 0, 3, 16, 0xaa, 0xbb, 0, 0]);
  assert.equal(blocks.headers(frame, 0, frame.length, END_HEADERS | END_STREAM | PADDED | PRIORITY, 5, 0), BLOCK_READY);
  assert.deepEqual([...blocks.bytes.subarray(blocks.start, blocks.end)], [0xaa, 0xbb]);
  assert.equal(blocks.bytes, frame, "no copy");
  assert.deepEqual([blocks.readyStream, blocks.endStream, blocks.badPriority, blocks.stream], [5, true, false, 0]);
});

test("a stream depending on itself is flagged; bad padding and short priorities are errors", () => {
  const blocks = new FieldBlocks(4, 1000);
  assert.equal(blocks.headers(Buffer.from([0, 0, 0, 7, 16, 0x82]), 0, 6, END_HEADERS | PRIORITY, 7, 0), BLOCK_READY);
  assert.equal(blocks.badPriority, true);
  assert.ok(blocks.headers(Buffer.from([5, 1]), 0, 2, END_HEADERS | PADDED, 9, 0) instanceof H2Error);
  assert.ok(blocks.headers(Buffer.from([0, 0]), 0, 2, END_HEADERS | PRIORITY, 9, 0) instanceof H2Error);
  assert.ok(blocks.headers(Buffer.from([0x82]), 0, 1, END_HEADERS, 0, 0) instanceof H2Error);
});

test("a block over CONTINUATION frames is joined into a copy", () => {
  const blocks = new FieldBlocks(4, 1000);
  const read = Buffer.from([1, 2, 3]);
  assert.equal(blocks.headers(read, 0, 3, END_STREAM, 3, 42), BLOCK_PENDING);
  read.fill(9);
  assert.deepEqual([blocks.stream, blocks.startedAt], [3, 42]);
  assert.equal(blocks.continuation(Buffer.from([4]), 0, 1, 0, 3), BLOCK_PENDING);
  assert.equal(blocks.continuation(Buffer.from([5, 6]), 0, 2, END_HEADERS, 3), BLOCK_READY);
  assert.deepEqual([...blocks.bytes.subarray(blocks.start, blocks.end)], [1, 2, 3, 4, 5, 6]);
  assert.equal(blocks.stream, 0);
  assert.equal(blocks.readyStream, 3);
});

test("an empty HEADERS frame that promises more is reported for counting", () => {
  const blocks = new FieldBlocks(4, 1000);
  assert.equal(blocks.headers(Buffer.alloc(0), 0, 0, 0, 1, 0), BLOCK_EMPTY);
});

test("CONTINUATION without a block, on another stream, past the frame or byte bound: errors", () => {
  const blocks = new FieldBlocks(3, 10);
  assert.ok(blocks.continuation(Buffer.from([1]), 0, 1, END_HEADERS, 1) instanceof H2Error);
  blocks.headers(Buffer.from([1]), 0, 1, 0, 1, 0);
  assert.ok(blocks.continuation(Buffer.from([1]), 0, 1, 0, 3) instanceof H2Error);
  const frames = new FieldBlocks(3, 1000);
  frames.headers(Buffer.from([1]), 0, 1, 0, 1, 0);
  assert.equal(frames.continuation(Buffer.alloc(0), 0, 0, 0, 1), BLOCK_PENDING);
  assert.equal(frames.continuation(Buffer.alloc(0), 0, 0, 0, 1), BLOCK_PENDING);
  const calm = frames.continuation(Buffer.alloc(0), 0, 0, 0, 1) as H2Error;
  assert.equal(calm.name, "ENHANCE_YOUR_CALM");
  const bytes = new FieldBlocks(100, 10);
  bytes.headers(Buffer.alloc(6), 0, 6, 0, 1, 0);
  assert.equal((bytes.continuation(Buffer.alloc(6), 0, 6, 0, 1) as H2Error).name, "ENHANCE_YOUR_CALM");
});
