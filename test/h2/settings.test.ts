// A client's SETTINGS frame read into PeerSettings, and the values that are connection errors.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { type PeerSettings, readSettings } from "../../src/h2/settings.ts";

function payload(pairs: Array<[number, number]>): Buffer {
  const out = Buffer.alloc(pairs.length * 6);
  pairs.forEach(([id, value], i) => {
    out.writeUInt16BE(id, i * 6);
    out.writeUInt32BE(value, i * 6 + 2);
  });
  return out;
}

function read(pairs: Array<[number, number]>): { into: PeerSettings; error: string } {
  const into: PeerSettings = { initialWindow: 65_535, maxFrame: 16_384 };
  const bytes = payload(pairs);
  const error = readSettings(bytes, 0, bytes.length, into);
  return { into, error: error?.name ?? "" };
}

test("the window and frame size are taken; the others and unknown ids are accepted and ignored", () => {
  const { into, error } = read([
    [0x4, 1_000_000],
    [0x5, 32_768],
    [0x1, 0],
    [0x2, 0],
    [0x3, 7],
    [0x6, 1],
    [0x99, 5],
  ]);
  assert.equal(error, "");
  assert.deepEqual(into, { initialWindow: 1_000_000, maxFrame: 32_768 });
});

test("out-of-range values are connection errors (RFC 9113 §6.5.2)", () => {
  assert.equal(read([[0x2, 2]]).error, "PROTOCOL_ERROR");
  assert.equal(read([[0x4, 2 ** 31]]).error, "FLOW_CONTROL_ERROR");
  assert.equal(read([[0x5, 16_383]]).error, "PROTOCOL_ERROR");
  assert.equal(read([[0x5, 2 ** 24]]).error, "PROTOCOL_ERROR");
  const bytes = Buffer.alloc(7);
  assert.equal(readSettings(bytes, 0, 7, { initialWindow: 0, maxFrame: 0 })?.name, "FRAME_SIZE_ERROR");
});
