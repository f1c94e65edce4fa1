// The thread's I/O arena: output claims, pins by pending writes, copies from the latest read.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import {
  claimOutput,
  copyInto,
  isOutputView,
  isReadView,
  pinOutput,
  readView,
  releaseOutput,
  resetClaim,
  unpinOutput,
} from "../../src/http/arena.ts";

test("an output view is claimed by one writer at a time and free again once released", () => {
  const out = claimOutput(100);
  assert.ok(out !== null);
  assert.equal(out.length, 100);
  assert.ok(isOutputView(out));
  assert.equal(claimOutput(10), null, "a second claim before the first is written");
  releaseOutput();
  const again = claimOutput(100);
  assert.equal(again, out, "the same cached view");
  releaseOutput();
});

test("a pending write pins the output area until it completes", () => {
  assert.ok(claimOutput(50) !== null);
  pinOutput();
  assert.equal(claimOutput(50), null);
  resetClaim();
  assert.equal(claimOutput(50), null, "a new read callback does not free a pinned area");
  unpinOutput();
  assert.ok(claimOutput(50) !== null);
  releaseOutput();
});

test("an unwritten claim is given back at the next read callback", () => {
  assert.ok(claimOutput(20) !== null);
  resetClaim();
  assert.ok(claimOutput(20) !== null);
  releaseOutput();
});

test("an output larger than the area is not claimed", () => {
  assert.equal(claimOutput(1 << 20), null);
  assert.ok(claimOutput(10) !== null, "and the refusal claims nothing");
  releaseOutput();
});

test("copyInto copies from the latest read into an output view, and between any buffers", () => {
  const read = readView(3000);
  read.fill(0);
  read.write("hello, arena: the bytes of a read", 100, "latin1");
  assert.ok(isReadView(read));
  const out = claimOutput(64)!;
  out.fill(0x2e);
  assert.equal(copyInto(read, 100, 105, out, 0), 5);
  assert.equal(copyInto(read, 107, 133, out, 10), 26);
  assert.equal(out.toString("latin1", 0, 36), "hello.....arena: the bytes of a read");
  releaseOutput();
  const small = readView(40);
  assert.ok(isReadView(small));
  assert.ok(!isReadView(Buffer.from(small)), "a copy is not a read view");
  const plain = Buffer.alloc(30, 0x2e);
  copyInto(Buffer.from("0123456789abcdefghij"), 2, 18, plain, 1);
  assert.equal(plain.toString("latin1"), ".23456789abcdefgh.............");
});
